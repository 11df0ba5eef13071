import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtureFile } from '../../../../test-support/fixture.js';
import { fixtureTensors } from '../../../../test-support/fixtureLoader.js';
import { AaclipError } from '../../src/errors/aaclipError.js';
import type { TensorMap } from '../../src/tensor/tensor.js';
import { readTorchCheckpoint } from '../../src/weights/torchCheckpoint.js';
import { floats, op, tensorPickle, zip } from './torchFileBuilders.js';

const adapters = fixtureTensors('adapters.safetensors');
const fixtureBytes = (name: string): Uint8Array => new Uint8Array(readFileSync(fixtureFile(name)));

async function refusal(bytes: Uint8Array): Promise<string> {
  try {
    await readTorchCheckpoint(bytes, 'evil.pth');
  } catch (err) {
    expect(err).toBeInstanceOf(AaclipError);
    return (err as Error).message;
  }
  throw new Error('expected the checkpoint to be refused');
}

function expectSameTensors(actual: TensorMap, expected: TensorMap): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [name, t] of expected) {
    const a = actual.get(name)!;
    expect(a.dtype).toBe(t.dtype);
    expect(a.shape).toEqual(t.shape);
    expect(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))).toBe(true);
  }
}

const subset = (prefix: string): TensorMap => new Map([...adapters].filter(([k]) => k.startsWith(prefix)));

describe('readTorchCheckpoint', () => {
  it("reads the reference's text_adapter.pth exactly as adapters.safetensors", async () => {
    const tensors = await readTorchCheckpoint(fixtureBytes('text_adapter.pth'), 'text_adapter.pth');
    expect(tensors.size).toBe(4);
    expectSameTensors(tensors, subset('text_adapter.'));
  });

  it("reads the reference's image_adapter_20.pth exactly as adapters.safetensors", async () => {
    const tensors = await readTorchCheckpoint(fixtureBytes('image_adapter_20.pth'), 'image_adapter_20.pth');
    expect(tensors.size).toBe(11);
    expectSameTensors(tensors, subset('image_adapter.'));
  });

  it('rebuilds strided views, flattens nested dicts and reads deflated entries', async () => {
    const pickle = Buffer.concat([
      op.proto, op.emptyDict, op.mark,
      op.str('t'), tensorPickle('0', 6, 0, [2, 3], [1, 2]), // a transposed view: t[i][j] = storage[i + 2j]
      op.str('nested'), op.emptyDict, op.mark, op.str('c'), tensorPickle('0', 6, 2, [2, 2], [2, 1]), op.setitems,
      op.str('epoch'), op.int(20),
      op.setitems, op.stop,
    ]);
    const bytes = zip([
      { name: 'ckpt/data.pkl', data: pickle, deflate: true },
      { name: 'ckpt/data/0', data: floats([0, 1, 2, 3, 4, 5]), deflate: true },
      { name: 'ckpt/version', data: Buffer.from('3\n') },
    ]);
    const tensors = await readTorchCheckpoint(bytes, 'custom.pth');
    expect([...tensors.keys()]).toEqual(['t', 'nested.c']);
    expect(tensors.get('t')!.shape).toEqual([2, 3]);
    expect(Array.from(tensors.get('t')!.data as Float32Array)).toEqual([0, 2, 4, 1, 3, 5]);
    expect(Array.from(tensors.get('nested.c')!.data as Float32Array)).toEqual([2, 3, 4, 5]);
  });

  it('refuses a pickle that references os.system, without running it', async () => {
    const pickle = Buffer.concat([op.proto, op.global('os', 'system'), op.str('touch /tmp/pwned'), Buffer.from([0x85]), op.reduce, op.stop]);
    const message = await refusal(zip([{ name: 'evil/data.pkl', data: pickle }]));
    expect(message).toBe('evil.pth: pickle: refuses to load os.system (only tensors and plain containers are allowed)');
    const viaStackGlobal = Buffer.concat([op.proto, op.str('builtins'), op.str('eval'), Buffer.from([0x93]), op.stop]);
    expect(await refusal(zip([{ name: 'evil/data.pkl', data: viaStackGlobal }]))).toMatch(/refuses to load builtins\.eval/);
  });

  it('refuses tensors that read past their storage, and corrupt archives', async () => {
    const pickle = Buffer.concat([op.proto, tensorPickle('0', 6, 4, [2, 3], [3, 1]), op.stop]);
    expect(await refusal(zip([{ name: 'x/data.pkl', data: pickle }, { name: 'x/data/0', data: floats([0, 1, 2, 3, 4, 5]) }]))).toMatch(
      /tensor \[2, 3\] at offset 4 reads past its storage "0" \(6 elements\)/,
    );
    expect(await refusal(zip([{ name: 'x/data.pkl', data: pickle }]))).toMatch(/storage "0" is missing from the archive/);
    const damaged = fixtureBytes('text_adapter.pth').slice();
    damaged[1000] = damaged[1000]! ^ 0xff; // inside the first storage
    expect(await refusal(damaged)).toMatch(/fails its CRC-32 check/);
    expect(await refusal(fixtureBytes('text_adapter.pth').subarray(0, 20000))).toMatch(/^evil\.pth: /);
    expect(await refusal(new Uint8Array([0x80, 0x02, 0x8a, 0x0a]))).toMatch(/is a bare pickle, not a torch\.save zip checkpoint/);
    expect(await refusal(zip([{ name: 'x/data.pkl', data: Buffer.concat([op.proto, op.mark]) }]))).toMatch(/pickle: truncated/);
  });
});
