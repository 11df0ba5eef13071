import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtureFile } from '../../../../test-support/fixture.js';
import { AaclipError } from '../../src/errors/aaclipError.js';
import type { Tensor, TensorMap } from '../../src/tensor/tensor.js';
import { MAX_SAFETENSORS_HEADER_DEPTH, readSafetensors, toFloat32, writeSafetensors } from '../../src/weights/safetensors.js';

/** Builds a safetensors file from a raw header value (any JSON) and a data area, with no checks. */
function rawFile(header: unknown, data: Uint8Array, headerLengthOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function bytesOf(data: ArrayBufferView): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function expectError(bytes: Uint8Array, pattern: RegExp): void {
  let caught: unknown;
  try {
    readSafetensors(bytes, 'evil.safetensors');
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AaclipError);
  const message = (caught as Error).message;
  expect(message.startsWith('evil.safetensors: ')).toBe(true);
  expect(message).not.toContain('\n');
  expect(message).toMatch(pattern);
}

describe('readSafetensors on the fixture', () => {
  const bytes = new Uint8Array(readFileSync(fixtureFile('clip.safetensors')));
  const { tensors } = readSafetensors(bytes, 'clip.safetensors');

  it('reads all 446 open_clip tensors with their shapes', () => {
    expect(tensors.size).toBe(446);
    expect(tensors.get('positional_embedding')?.shape).toEqual([77, 48]);
    expect(tensors.get('visual.positional_embedding')?.shape).toEqual([17, 64]); // 4×4 grid + CLS
    expect(tensors.get('visual.conv1.weight')?.shape).toEqual([64, 3, 8, 8]);
    expect(tensors.get('token_embedding.weight')?.shape).toEqual([49408, 48]);
  });

  it('copies the bytes the header points at', () => {
    // Independent decode of one tensor straight from the file layout.
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const headerLength = Number(view.getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<
      string,
      { data_offsets: [number, number] }
    >;
    const [begin] = header['ln_final.weight']!.data_offsets;
    const t = tensors.get('ln_final.weight')!;
    expect(t.dtype).toBe('F32');
    for (let i = 0; i < t.data.length; i++) {
      expect(t.data[i]).toBe(view.getFloat32(8 + headerLength + begin + 4 * i, true));
    }
  });

  it('round-trips write → read exactly, keeping order and metadata', () => {
    const written = writeSafetensors(tensors, { format: 'pt', note: 'round trip' });
    const headerLength = Number(new DataView(written.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const back = readSafetensors(written, 'roundtrip.safetensors');
    expect(back.metadata).toEqual({ format: 'pt', note: 'round trip' });
    expect([...back.tensors.keys()]).toEqual([...tensors.keys()]);
    for (const [name, t] of tensors) {
      const b = back.tensors.get(name)!;
      expect(b.dtype).toBe(t.dtype);
      expect(b.shape).toEqual(t.shape);
      expect(b.data.constructor).toBe(t.data.constructor);
      expect(bytesOf(b.data).equals(bytesOf(t.data))).toBe(true);
    }
  });
});

describe('readSafetensors on other dtypes', () => {
  it('round-trips every dtype, including unaligned offsets', () => {
    const tensors: TensorMap = new Map();
    tensors.set('u8', { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 255]) }); // leaves later offsets unaligned
    tensors.set('i64', { dtype: 'I64', shape: [2], data: new BigInt64Array([-5n, 1n << 40n]) });
    tensors.set('f64', { dtype: 'F64', shape: [1, 2], data: new Float64Array([Math.PI, -1e300]) });
    tensors.set('f16', { dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) });
    tensors.set('bf16', { dtype: 'BF16', shape: [1], data: new Uint16Array([0x3f80]) });
    tensors.set('i32', { dtype: 'I32', shape: [2], data: new Int32Array([-7, 7]) });
    tensors.set('i16', { dtype: 'I16', shape: [1], data: new Int16Array([-300]) });
    tensors.set('i8', { dtype: 'I8', shape: [1], data: new Int8Array([-100]) });
    tensors.set('bool', { dtype: 'BOOL', shape: [2], data: new Uint8Array([0, 1]) });
    tensors.set('empty', { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) });
    const back = readSafetensors(writeSafetensors(tensors), 'all.safetensors').tensors;
    expect(back).toEqual(tensors);
  });

  it('converts F16, BF16 and F64 to F32', () => {
    // IEEE half: 1, -2, 65504 (largest), 2^-24 (smallest subnormal), +inf, -0.
    const f16 = toFloat32({ dtype: 'F16', shape: [6], data: new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x8000]) });
    expect(f16.dtype).toBe('F32');
    expect(Array.from(f16.data as Float32Array)).toEqual([1, -2, 65504, 2 ** -24, Infinity, -0]);
    expect(Number.isNaN(toFloat32({ dtype: 'F16', shape: [1], data: new Uint16Array([0x7e00]) }).data[0])).toBe(true);
    // bfloat16: 0x3f80 = 1, 0xc040 = -3, 0x4049 = 3.140625.
    const bf16 = toFloat32({ dtype: 'BF16', shape: [3], data: new Uint16Array([0x3f80, 0xc040, 0x4049]) });
    expect(Array.from(bf16.data as Float32Array)).toEqual([1, -3, 3.140625]);
    const f64 = toFloat32({ dtype: 'F64', shape: [1], data: new Float64Array([0.1]) });
    expect(f64.data[0]).toBe(Math.fround(0.1));
    expect(() => toFloat32({ dtype: 'I64', shape: [1], data: new BigInt64Array(1) }, 'ids')).toThrow(/"ids".*I64/);
  });
});

describe('readSafetensors refuses hostile files', () => {
  const eight = new Uint8Array(8);
  const ok = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };

  it('a file shorter than the length field', () => {
    expectError(new Uint8Array(5), /5 bytes, too short/);
  });

  it('a header length past the end of the file', () => {
    expectError(rawFile({ a: ok }, eight, 1n << 40n), /header length 1099511627776 is past the end of the file/);
    expectError(rawFile({ a: ok }, eight, 0xffffffffffffffffn), /past the end of the file/);
  });

  it('a header that is not JSON, or not an object', () => {
    expectError(rawFile('{"a": {"dtype": "F32",', eight), /header is not UTF-8 JSON/);
    expectError(rawFile([1, 2], eight), /not a JSON object/);
    const badUtf8 = rawFile('{"a":"xx"}', eight);
    badUtf8[8 + 6] = 0xff;
    expectError(badUtf8, /header is not UTF-8 JSON/);
  });

  it('an unknown dtype', () => {
    expectError(rawFile({ w: { ...ok, dtype: 'F8_E4M3' } }, eight), /tensor "w": unknown dtype "F8_E4M3"/);
  });

  it('a bad shape', () => {
    expectError(rawFile({ w: { ...ok, shape: [2, -1] } }, eight), /tensor "w": shape \[2,-1\] is not a list of non-negative integers/);
    expectError(rawFile({ w: { ...ok, shape: [1.5] } }, eight), /tensor "w": shape/);
  });

  it('dtype/shape that disagree with the byte length', () => {
    expectError(rawFile({ w: { ...ok, shape: [3] } }, new Uint8Array(12)), /tensor "w": F32 \[3\] needs 12 bytes, but data_offsets \[0, 8\] span 8/);
    expectError(rawFile({ w: { ...ok, dtype: 'F64' } }, eight), /tensor "w": F64 \[2\] needs 16 bytes/);
  });

  it('offsets past the end of the data, or reversed', () => {
    expectError(
      rawFile({ 'visual.proj': { dtype: 'F32', shape: [2], data_offsets: [991, 999] } }, new Uint8Array(512)),
      /tensor "visual.proj": data_offsets end 999 is past the end of the data \(512 bytes\)/,
    );
    expectError(rawFile({ w: { ...ok, data_offsets: [8, 0] } }, eight), /tensor "w": data_offsets begin 8 is after end 0/);
    expectError(rawFile({ w: { ...ok, data_offsets: [0] } }, eight), /tensor "w": data_offsets \[0\] is not a pair/);
  });

  it('overlapping tensors', () => {
    const header = {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    };
    expectError(rawFile(header, new Uint8Array(12)), /tensor "b": data_offsets \[4, 12\] overlap tensor "a" \[0, 8\]/);
  });

  it('metadata that is not strings', () => {
    expectError(rawFile({ __metadata__: { n: 3 }, a: ok }, eight), /__metadata__ "n" is 3, not a string/);
  });
});

describe('readSafetensors bounds the work a hostile header can cause', () => {
  const eight = new Uint8Array(8);
  const ok = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };

  it('a 100k-deep JSON value is refused by depth, named, without overflowing the stack', () => {
    const depth = 100_000;
    for (const nested of [`${'['.repeat(depth)}${']'.repeat(depth)}`, `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`]) {
      for (const header of [nested, `{"w": ${nested}}`]) {
        const start = performance.now();
        expectError(rawFile(header, eight), new RegExp(`header nests objects/arrays ${MAX_SAFETENSORS_HEADER_DEPTH + 1} deep, past the limit of ${MAX_SAFETENSORS_HEADER_DEPTH}`));
        expect(performance.now() - start).toBeLessThan(1000);
      }
    }
  });

  it('values nested within the limit are described briefly, however large', () => {
    const deep = JSON.parse(`${'['.repeat(MAX_SAFETENSORS_HEADER_DEPTH - 1)}${']'.repeat(MAX_SAFETENSORS_HEADER_DEPTH - 1)}`) as unknown;
    expectError(rawFile({ w: deep }, eight), /tensor "w": header entry is \[\[\[\[.*, not an object$/);
    const wide = { w: { ...ok, shape: Array.from({ length: 1_000_000 }, (_, i) => -i) } };
    expectError(rawFile(wide, eight), /tensor "w": shape \[0,-1,-2,.*\.\.\. is not a list of non-negative integers$/);
  });

  it('a key twice in the header is refused, naming it (JSON.parse would keep the last)', () => {
    const a = '{"dtype":"F32","shape":[2],"data_offsets":[0,8]}';
    const b = '{"dtype":"F32","shape":[2],"data_offsets":[8,16]}';
    const data = new Uint8Array(16);
    expectError(rawFile(`{"w":${a},"w":${b}}`, data), /tensor name "w" appears twice in the header/);
    // The same key spelled with an escape is the same key.
    expectError(rawFile(`{"w":${a},"\\u0077":${b}}`, data), /tensor name "w" appears twice in the header/);
    expectError(
      rawFile('{"w":{"dtype":"F32","shape":[2],"dtype":"I64","data_offsets":[0,8]}}', eight),
      /key "dtype" appears twice in the header entry "w"/,
    );
    expectError(rawFile(`{"__metadata__":{"k":"1","k":"2"},"w":${a}}`, eight), /key "k" appears twice in the header entry "__metadata__"/);
    // Equal keys in different objects, and a key equal to a string value, are fine.
    const fine = readSafetensors(rawFile(`{"__metadata__":{"w":"w"},"w":${a}}`, eight), 'fine.safetensors');
    expect([...fine.tensors.keys()]).toEqual(['w']);
    expect(fine.metadata).toEqual({ w: 'w' });
  });

  it('names from the file are shown escaped and bounded', () => {
    const name = `evil\n${'x'.repeat(10_000)}\u001b[2J`;
    let caught: unknown;
    try {
      readSafetensors(rawFile({ [name]: { ...ok, dtype: 'F8' } }, eight), 'a\nb.safetensors');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AaclipError);
    const message = (caught as AaclipError).message;
    expect(message).not.toContain('\n');
    expect(message).not.toContain('\u001b');
    expect(message).toMatch(/^a\\nb\.safetensors: tensor "evil\\nxxx.*….*xxx\\x1b\[2J": unknown dtype "F8"/);
    expect(message.length).toBeLessThan(400);
  });
});

describe('writeSafetensors', () => {
  const one: Tensor = { dtype: 'F32', shape: [1], data: new Float32Array([1]) };

  it('refuses a tensor named __metadata__, naming the file', () => {
    const tensors: TensorMap = new Map([['__metadata__', one]]);
    expect(() => writeSafetensors(tensors, { k: 'v' }, 'maps.safetensors')).toThrow(
      new AaclipError('a tensor cannot be named "__metadata__": safetensors reserves that key for the file\'s metadata', 'maps.safetensors'),
    );
    expect(() => writeSafetensors(tensors)).toThrow(AaclipError);
  });

  it('writes a tensor or metadata key named __proto__ like any other', () => {
    const tensors: TensorMap = new Map([['__proto__', one], ['b', one]]);
    const metadata = JSON.parse('{"__proto__": "kept"}') as Record<string, string>;
    const back = readSafetensors(writeSafetensors(tensors, metadata), 'proto.safetensors');
    expect([...back.tensors.keys()]).toEqual(['__proto__', 'b']);
    expect(Object.entries(back.metadata)).toEqual([['__proto__', 'kept']]);
  });
});
