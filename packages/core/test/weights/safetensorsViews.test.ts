// readSafetensors returns views of the file's memory when a tensor's bytes are aligned for its
// dtype, and copies only when they are not; the values are the same either way.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TensorMap } from '../../src/tensor/tensor.js';
import { readSafetensors, writeSafetensors } from '../../src/weights/safetensors.js';
import { fixtureFile } from '../../../../test-support/fixture.js';

function sample(): TensorMap {
  return new Map([
    ['w', { dtype: 'F32', shape: [2, 2], data: new Float32Array([1.5, -2, 3.25, 1e-8]) }],
    ['odd', { dtype: 'U8', shape: [3], data: new Uint8Array([7, 8, 9]) }], // leaves the next tensor 3 bytes off
    ['ids', { dtype: 'I64', shape: [2], data: new BigInt64Array([5n, -(2n ** 40n)]) }],
    ['half', { dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) }],
  ] as const);
}

/** The same bytes starting one byte into a fresh buffer, so every tensor's offset shifts by 1. */
function shiftedByOne(bytes: Uint8Array): Uint8Array {
  const shifted = new Uint8Array(bytes.length + 1).subarray(1);
  shifted.set(bytes);
  return shifted;
}

describe('readSafetensors views', () => {
  it('views aligned tensors (sharing the file buffer) and copies misaligned ones, with equal values', () => {
    const original = sample();
    const bytes = writeSafetensors(original);
    const { tensors } = readSafetensors(bytes, 'views.safetensors');
    for (const [name, t] of original) expect(tensors.get(name)!.data, name).toEqual(t.data);
    // Data offsets (the data area starts 8-aligned): w 0, odd 16, ids 19, half 35.
    expect(tensors.get('w')!.data.buffer).toBe(bytes.buffer);
    expect(tensors.get('odd')!.data.buffer).toBe(bytes.buffer);
    expect(tensors.get('ids')!.data.buffer).not.toBe(bytes.buffer);
    expect(tensors.get('half')!.data.buffer).not.toBe(bytes.buffer);
    // The view really is the file's memory: changing the file changes the tensor.
    const w = tensors.get('w')!.data as Float32Array;
    new Float32Array(bytes.buffer, w.byteOffset, 1)[0] = 42;
    expect(w[0]).toBe(42);
  });

  it('decides by the absolute address: the same file one byte into its buffer flips which tensors are views', () => {
    const original = sample();
    const bytes = shiftedByOne(writeSafetensors(original));
    const { tensors } = readSafetensors(bytes, 'shifted.safetensors');
    for (const [name, t] of original) expect(tensors.get(name)!.data, name).toEqual(t.data);
    // Now w starts at 1 and ids at 20 (copies), odd needs no alignment and half starts at 36 (views).
    expect(tensors.get('w')!.data.buffer).not.toBe(bytes.buffer);
    expect(tensors.get('ids')!.data.buffer).not.toBe(bytes.buffer);
    expect(tensors.get('odd')!.data.buffer).toBe(bytes.buffer);
    expect(tensors.get('half')!.data.buffer).toBe(bytes.buffer);
  });

  it('reads the fixture weights without copying them', () => {
    const bytes = new Uint8Array(readFileSync(fixtureFile('clip.safetensors')));
    const { tensors } = readSafetensors(bytes, 'clip.safetensors');
    let viewed = 0;
    for (const t of tensors.values()) if (t.data.buffer === bytes.buffer) viewed += t.data.byteLength;
    let total = 0;
    for (const t of tensors.values()) total += t.data.byteLength;
    expect(viewed).toBe(total);
  });
});
