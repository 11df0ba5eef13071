import { describe, expect, it } from 'vitest';
import { AaclipError, getBackend, listBackends, resolveBackend } from '@aaclip/core';
import { createWebBackend, WEB_BACKEND_PRIORITY, WEB_DEVICES } from '../src/index.js';
import { buildTinyModel, expectedAffine, seeded, TINY_IN, TINY_OUT } from './tinyModel.js';
import { maxAbsError } from '@aaclip/core/testing';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('web backend registration', () => {
  it('registers "web" below the node backend when the package is imported', async () => {
    expect(listBackends()).toContain('web');
    expect(WEB_BACKEND_PRIORITY).toBe(1);
    const backend = await getBackend('web');
    expect(backend.name).toBe('web');
    expect(backend.devices).toEqual(['webgpu', 'wasm']);
  });

  it('resolves to wasm in Node, after webgpu fails with its reason', async () => {
    const { backend, device } = await resolveBackend({ backend: 'web' });
    expect(backend.name).toBe('web');
    expect(device).toBe('wasm');
    const err = await rejection(resolveBackend({ backend: 'web', device: 'webgpu' }));
    expect(err).toBeInstanceOf(AaclipError);
    expect(err.message).toMatch(/web\/webgpu: .*wasm only under Node\.js/);
  });
});

describe('web backend on wasm (Node)', () => {
  const backend = createWebBackend();

  it('rejects devices it does not offer, naming its devices', async () => {
    const err = await rejection(backend.init('cuda'));
    expect(err).toBeInstanceOf(AaclipError);
    expect(err.message).toBe(`device "cuda" is not offered by the web backend (devices: ${WEB_DEVICES.join(', ')})`);
  });

  it('runs a model whose weights are external data, float32 and int64 inputs', async () => {
    const model = buildTinyModel();
    expect(model.externalData.map((f) => f.path)).toEqual(['tiny.onnx.data']);
    await backend.init('wasm');
    const session = await backend.createSession(model, { device: 'wasm' });
    try {
      expect([...session.inputNames].sort()).toEqual(['ids', 'x']);
      expect([...session.outputNames].sort()).toEqual(['rows', 'y']);
      const batch = 3;
      const x = seeded(batch * TINY_IN, 7);
      const ids = new BigInt64Array([4n, 0n, 19n]);
      const out = await session.run({
        x: { dtype: 'F32', shape: [batch, TINY_IN], data: x },
        ids: { dtype: 'I64', shape: [batch], data: ids },
      });
      expect(out.y!.shape).toEqual([batch, TINY_OUT]);
      const expected = expectedAffine(model, x, batch);
      const y = out.y!.data as Float32Array;
      expect(maxAbsError(y, expected)).toBeLessThan(1e-4);
      const rows = out.rows!.data as Float32Array;
      ids.forEach((id, r) => {
        expect(Array.from(rows.subarray(r * TINY_OUT, (r + 1) * TINY_OUT))).toEqual(
          Array.from(model.table.subarray(Number(id) * TINY_OUT, (Number(id) + 1) * TINY_OUT)),
        );
      });
    } finally {
      await session.dispose();
    }
    await expect(session.run({})).rejects.toThrow(/disposed/);
  });

  it('refuses external data names that are paths', async () => {
    const model = buildTinyModel();
    const err = await rejection(
      backend.createSession({ model: model.model, externalData: [{ path: '../tiny.onnx.data', data: model.externalData[0]!.data }] }, { device: 'wasm' }),
    );
    expect(err).toBeInstanceOf(AaclipError);
    expect(err.message).toMatch(/external data path "\.\.\/tiny\.onnx\.data" must be a plain file name/);
  });

  it('fails to create a session from bytes that are not a model', async () => {
    const err = await rejection(backend.createSession({ model: new Uint8Array([1, 2, 3, 4]), externalData: [] }, { device: 'wasm' }));
    expect(err).toBeInstanceOf(AaclipError);
    expect(err.message).toMatch(/^onnxruntime-web could not load the model on wasm \(.+\)$/);
  });
});

describe('web backend capabilities', () => {
  it('declares the fused ops and int8 on wasm, fused ops on webgpu, and rejects unknown devices', () => {
    const backend = createWebBackend();
    expect(backend.capabilities!('wasm').ops).toContain('com.microsoft:MultiHeadAttention');
    expect(backend.capabilities!('wasm').precisions).toEqual(['fp32', 'int8']);
    // fp16 only once init found an adapter with shader-f16 (none under Node).
    expect(backend.capabilities!('webgpu').precisions).toEqual(['fp32']);
    expect(backend.capabilities!('webgpu').ops).toContain('com.microsoft:MultiHeadAttention');
    expect(() => backend.capabilities!('cuda')).toThrow(AaclipError);
  });
});
