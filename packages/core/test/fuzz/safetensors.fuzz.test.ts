// Fuzzing the safetensors reader: random bytes, a valid file mutated, its header text mutated (with
// a length field that fits, so the JSON parser and the field checks are reached), and headers built
// from entries whose fields take extreme values. Each case returns tensors that lie inside the file
// or throws a one-line AaclipError, within FUZZ_CASE_MS and FUZZ_CASE_HEAP_BYTES.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { boundedRead, expectOneLine } from '../../../../test-support/fuzz/boundedRead.js';
import { concat, EXTREME_VALUES, mutatedBytes, randomBytes } from '../../../../test-support/fuzz/mutations.js';
import { runFuzz } from '../../../../test-support/fuzz/runFuzz.js';
import type { TensorMap } from '../../src/tensor/tensor.js';
import { numel } from '../../src/tensor/tensor.js';
import { DTYPE_ITEM_SIZE } from '../../src/weights/dtypeLayout.js';
import { readSafetensors, writeSafetensors, type SafetensorsContents } from '../../src/weights/safetensors.js';

const SOURCE = 'fuzz.safetensors';

function validFile(): Uint8Array {
  const tensors: TensorMap = new Map([
    ['visual.proj', { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }],
    ['half', { dtype: 'F16', shape: [3], data: new Uint16Array([0x3c00, 0x4000, 0x4200]) }],
    ['ids', { dtype: 'I64', shape: [2], data: new BigInt64Array([1n, -2n]) }],
    ['mask', { dtype: 'BOOL', shape: [1, 2], data: new Uint8Array([1, 0]) }],
    ['empty', { dtype: 'I32', shape: [0, 4], data: new Int32Array(0) }],
  ]);
  return writeSafetensors(tensors, { format: 'pt', note: 'fuzz base' });
}

/** A file of `header` (JSON text) and `data`, with a header length that matches. */
function withHeader(header: string, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(header);
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(json.length), true);
  return concat(length, json, data);
}

/** What a successful read must satisfy: every tensor matches its shape and lies inside the file. */
function checkContents(contents: SafetensorsContents, file: Uint8Array): void {
  let total = 0;
  for (const [name, t] of contents.tensors) {
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`tensor ${name}: bad shape ${String(t.shape)}`);
    if (t.data.length !== numel(t.shape)) throw new Error(`tensor ${name}: ${t.data.length} elements for shape ${String(t.shape)}`);
    if (t.data.byteLength !== t.data.length * DTYPE_ITEM_SIZE[t.dtype]) throw new Error(`tensor ${name}: data does not fit dtype ${t.dtype}`);
    total += t.data.byteLength;
  }
  if (total > file.length) throw new Error(`tensors hold ${total} bytes, more than the ${file.length}-byte file`);
  for (const [key, value] of Object.entries(contents.metadata)) {
    if (typeof value !== 'string') throw new Error(`metadata ${key} is not a string`);
  }
}

function readsSafely(bytes: Uint8Array): void {
  const outcome = boundedRead(() => readSafetensors(bytes, SOURCE));
  if (outcome.ok) checkContents(outcome.value, bytes);
}

/** A number a shape or offset field should refuse or handle: extremes, negatives, fractions, strings. */
const hostileNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...EXTREME_VALUES.map(Number)),
  fc.nat({ max: 64 }),
  fc.integer({ min: -5, max: -1 }),
  fc.constantFrom(0.5, -0, 1e308, Number.MAX_VALUE, '3', null, true, [], {}),
);

const dtypeName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...Object.keys(DTYPE_ITEM_SIZE)) },
  { weight: 1, arbitrary: fc.constantFrom('F8_E4M3', 'f32', '', '__proto__', 'toString', 'constructor') },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

const headerEntry: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ dtype: dtypeName, shape: fc.array(hostileNumber, { maxLength: 5 }), data_offsets: fc.array(hostileNumber, { minLength: 2, maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ dtype: dtypeName, shape: fc.array(hostileNumber, { maxLength: 3 }), data_offsets: fc.array(hostileNumber, { maxLength: 4 }) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

const tensorName = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('__proto__', 'constructor', '__metadata__', 'a\nb', '\u202e', 'x'.repeat(5000)),
);

/** Header text: an object of hostile entries (perhaps with a repeated key), or any JSON at all. */
const hostileHeader: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.array(fc.tuple(tensorName, headerEntry), { maxLength: 6 }), fc.option(fc.jsonValue({ maxDepth: 2 })))
      .map(([entries, metadata]) => {
        const parts = entries.map(([name, entry]) => `${JSON.stringify(name)}:${JSON.stringify(entry)}`);
        if (metadata !== null) parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
        return `{${parts.join(',')}}`;
      }),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 200 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }) },
);

describe('fuzzing readSafetensors', () => {
  const base = validFile();
  const headerLength = Number(new DataView(base.buffer, base.byteOffset).getBigUint64(0, true));
  const headerText = new TextDecoder().decode(base.subarray(8, 8 + headerLength));
  const data = base.subarray(8 + headerLength);

  it('reads the unmutated base file', () => {
    readsSafely(base);
  });

  it('random bytes, bare or after a header length that fits', async () => {
    const lengthThenBytes = fc.uint8Array({ maxLength: 256 }).map((tail) => {
      const head = new Uint8Array(8);
      new DataView(head.buffer).setBigUint64(0, BigInt(tail.length), true);
      return concat(head, tail);
    });
    await runFuzz(fc.property(fc.oneof(randomBytes(), lengthThenBytes), readsSafely), 0x5afe01, 300);
  });

  it('a valid file with bytes flipped, cut, inserted, removed or its length field set to extremes', async () => {
    await runFuzz(fc.property(mutatedBytes(base, { fieldOffsets: [0, 4] }), readsSafely), 0x5afe02, 400);
  });

  it('the header text mutated, with a length field that fits', async () => {
    const text = new TextEncoder().encode(headerText);
    const property = fc.property(mutatedBytes(text), fc.boolean(), (mutated, keepData) => {
      readsSafely(withHeader(new TextDecoder().decode(mutated), keepData ? data : data.subarray(0, data.length >> 1)));
    });
    await runFuzz(property, 0x5afe03, 400);
  });

  it('headers of entries whose dtype, shape and offsets take extreme or wrong values', async () => {
    const property = fc.property(hostileHeader, fc.uint8Array({ maxLength: 128 }), (header, tail) => {
      readsSafely(withHeader(header, tail));
    });
    await runFuzz(property, 0x5afe04, 400);
  });

  it('error messages stay one line for names holding control characters', () => {
    const outcome = boundedRead(() => readSafetensors(withHeader('{"a\\nb\\u2028":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}', new Uint8Array(8)), 'x\ny.safetensors'));
    if (outcome.ok) throw new Error('a tensor whose offsets span 8 bytes for 4 was accepted');
    expectOneLine(outcome.error.message, 'the message');
  });
});
