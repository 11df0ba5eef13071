// Fuzzing the torch.save reader at its three layers: the zip archive (random bytes after a zip
// magic, a valid checkpoint mutated in its bytes or its header fields), the restricted pickle
// (random opcode sequences, a valid data.pkl mutated then zipped with a correct CRC so the pickle
// reader is reached), and the tensor views (sizes, strides, offsets and storage lengths set to
// extremes). Each case returns tensors that match their shapes or throws a one-line AaclipError,
// within FUZZ_CASE_MS and FUZZ_CASE_HEAP_BYTES.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { boundedRead, boundedReadAsync } from '../../../../test-support/fuzz/boundedRead.js';
import { concat, EXTREME_VALUES, mutatedBytes, randomBytes } from '../../../../test-support/fuzz/mutations.js';
import { runFuzz } from '../../../../test-support/fuzz/runFuzz.js';
import type { TensorMap } from '../../src/tensor/tensor.js';
import { numel } from '../../src/tensor/tensor.js';
import { PyObject, PyPersistent, readPickle, type PickleHooks } from '../../src/weights/restrictedPickle.js';
import { readTorchCheckpoint } from '../../src/weights/torchCheckpoint.js';
import { floats, op, stateDictPickle, storagePickle, tensorPickle, zip, type ZipEntrySpec } from '../weights/torchFileBuilders.js';

const SOURCE = 'fuzz.pth';

/** A checkpoint of a contiguous, a transposed and a deflated tensor, like torch.save writes. */
function checkpoint(pickle: Uint8Array, storages: ZipEntrySpec[] = baseStorages): Uint8Array {
  return zip([{ name: 'archive/data.pkl', data: pickle }, { name: 'archive/byteorder', data: new TextEncoder().encode('little') }, ...storages]);
}
const baseStorages: ZipEntrySpec[] = [
  { name: 'archive/data/0', data: floats([1, 2, 3, 4, 5, 6]) },
  { name: 'archive/data/1', data: floats([7, 8, 9, 10]), deflate: true },
];
const basePickle = stateDictPickle([
  ['visual.proj', tensorPickle('0', 6, 0, [2, 3], [3, 1])],
  ['text.proj', tensorPickle('1', 4, 0, [2, 2], [1, 2])],
  ['text.bias', tensorPickle('0', 6, 4, [2], [1])],
]);

/** Where the zip headers' size, offset, count and length fields lie in `bytes` (found by signature). */
function zipFieldOffsets(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offsets: number[] = [];
  for (let at = 0; at + 4 <= bytes.length; at++) {
    const signature = view.getUint32(at, true);
    if (signature === 0x04034b50) offsets.push(...[8, 14, 18, 22, 26, 28].map((f) => at + f));
    if (signature === 0x02014b50) offsets.push(...[10, 16, 20, 24, 28, 30, 32, 42].map((f) => at + f));
    if (signature === 0x06054b50) offsets.push(...[8, 10, 12, 16, 20].map((f) => at + f));
  }
  return offsets;
}

function checkTensors(tensors: TensorMap): void {
  for (const [name, t] of tensors) {
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`tensor ${name}: bad shape ${String(t.shape)}`);
    if (t.data.length !== numel(t.shape)) throw new Error(`tensor ${name}: ${t.data.length} elements for shape [${String(t.shape)}]`);
  }
}

async function readsSafely(bytes: Uint8Array): Promise<void> {
  const outcome = await boundedReadAsync(() => readTorchCheckpoint(bytes, SOURCE));
  if (outcome.ok) checkTensors(outcome.value);
}

const extremeInt = fc.oneof(
  { weight: 3, arbitrary: fc.nat({ max: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom(...EXTREME_VALUES.filter((v) => v < 2n ** 31n).map(Number)) },
);

/** One opcode of protocol 2–5 with arguments, valid or not, that a hostile data.pkl could hold. */
const pickleOp: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constantFrom(op.mark, op.emptyDict, op.emptyList, op.emptyTuple, op.tuple, op.tuple2, op.setitems, op.append, op.appends, op.reduce, op.binpersid, op.none, op.newfalse, op.stop),
  fc.constantFrom(...[0x30, 0x31, 0x32, 0x85, 0x87, 0x88, 0x6c, 0x64, 0x73, 0x62, 0x94, 0x93, 0x95].map((b) => Uint8Array.of(b))),
  extremeInt.map(op.int),
  fc.uint8Array({ maxLength: 300 }).map(op.long),
  fc.string({ maxLength: 8 }).map(op.str),
  fc.nat({ max: 4 }).map(op.binput),
  fc.nat({ max: 4 }).map(op.binget),
  fc.constantFrom(...EXTREME_VALUES.filter((v) => v < 2n ** 32n)).map((v) => {
    const b = Buffer.alloc(5);
    b[0] = 0x6a; // LONG_BINGET
    b.writeUInt32LE(Number(v), 1);
    return b;
  }),
  fc.constantFrom(
    op.global('torch._utils', '_rebuild_tensor_v2'),
    op.global('torch._utils', '_rebuild_parameter'),
    op.global('collections', 'OrderedDict'),
    op.global('torch', 'FloatStorage'),
    op.global('torch', 'LongStorage'),
    op.global('os', 'system'),
    op.global('builtins', 'eval'),
    Buffer.from('ctorch\nFloat'),
    Buffer.from('I99999999999999999999999999\n'),
    Buffer.from('L-1L\n'),
    Buffer.from('F1e400\n'),
    Buffer.from('p1\n'),
    Buffer.from('g1\n'),
  ),
  fc.tuple(fc.string({ maxLength: 3 }), extremeInt).map(([key, length]) => storagePickle(key, length)),
);

/** A pickle of random opcodes, usually started like torch.save's and often ended by STOP. */
const randomPickle: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.boolean(), fc.array(pickleOp, { maxLength: 40 }), fc.boolean())
  .map(([proto, ops, stop]) => concat(proto ? op.proto : new Uint8Array(0), ...ops, stop ? op.stop : new Uint8Array(0)));

/** Mostly small (so views often fit their storage and get built), sometimes extreme. */
const viewInt = fc.oneof({ weight: 8, arbitrary: fc.nat({ max: 3 }) }, { weight: 1, arbitrary: extremeInt });

/**
 * A state dict whose tensors' sizes, strides and offsets and whose storages' lengths are hostile:
 * several tensors view one storage, with lengths that disagree, as parameters or plain tensors.
 */
const hostileViews: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.record({
      key: fc.constantFrom('0', '1'),
      length: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(4, 24) }, { weight: 1, arbitrary: fc.nat({ max: 24 }) }, { weight: 1, arbitrary: extremeInt }),
      offset: viewInt,
      shape: fc.array(fc.tuple(viewInt, viewInt), { maxLength: 3 }),
      parameter: fc.boolean(),
    }),
    { minLength: 1, maxLength: 5 },
  )
  .map((tensors) =>
    stateDictPickle(
      tensors.map(({ key, length, offset, shape, parameter }, i) => {
        const tensor = tensorPickle(key, length, offset, shape.map(([size]) => size), shape.map(([, stride]) => stride));
        const wrapped = parameter
          ? Buffer.concat([op.global('torch._utils', '_rebuild_parameter'), op.mark, tensor, op.newfalse, op.tuple, op.reduce])
          : tensor;
        return [`t${i}`, wrapped];
      }),
    ),
  );

/** The storages hostileViews names, of random lengths, stored or deflated (perhaps one missing). */
const someStorages: fc.Arbitrary<ZipEntrySpec[]> = fc
  .array(fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constant(24) }, { weight: 1, arbitrary: fc.nat({ max: 30 }) }), fc.boolean()), { minLength: 2, maxLength: 2 })
  .map((specs) => specs.map(([length, deflate], key) => ({ name: `archive/data/${key}`, data: floats(Array.from({ length }, (_, i) => i)), deflate })));

/** Permissive hooks, so readPickle's own opcode handling is fuzzed without the torch rules. */
const plainHooks: PickleHooks = {
  allowedGlobals: new Set(['torch._utils._rebuild_tensor_v2', 'collections.OrderedDict', 'torch.FloatStorage']),
  reduce: (_callable, args) => new PyObject(args),
  persistentLoad: (pid) => new PyPersistent(pid),
};

describe('fuzzing readTorchCheckpoint and readPickle', () => {
  const base = checkpoint(basePickle);

  it('reads the unmutated base checkpoint', async () => {
    const outcome = await boundedReadAsync(() => readTorchCheckpoint(base, SOURCE));
    if (!outcome.ok) throw outcome.error;
    checkTensors(outcome.value);
    if (outcome.value.size !== 3) throw new Error(`${outcome.value.size} tensors read, 3 written`);
  });

  it('random bytes, bare or after a zip or pickle magic', async () => {
    const bytes = fc.oneof(randomBytes(), randomBytes(Uint8Array.of(0x50, 0x4b, 0x03, 0x04)), randomBytes(Uint8Array.of(0x80, 0x02)));
    await runFuzz(fc.asyncProperty(bytes, readsSafely), 0x7e0c01, 200);
  });

  it('a valid checkpoint with bytes flipped, cut, inserted, removed or zip header fields set to extremes', async () => {
    await runFuzz(fc.asyncProperty(mutatedBytes(base, { fieldOffsets: zipFieldOffsets(base) }), readsSafely), 0x7e0c02, 300);
  });

  it('its data.pkl mutated, zipped with a correct CRC', async () => {
    await runFuzz(fc.asyncProperty(mutatedBytes(basePickle), (pickle) => readsSafely(checkpoint(pickle))), 0x7e0c03, 300);
  });

  it('data.pkl of random opcodes', async () => {
    await runFuzz(fc.asyncProperty(randomPickle, (pickle) => readsSafely(checkpoint(pickle))), 0x7e0c04, 200);
  });

  it('tensors whose sizes, strides, offsets and storage lengths take extreme values', async () => {
    await runFuzz(fc.asyncProperty(hostileViews, someStorages, (pickle, storages) => readsSafely(checkpoint(pickle, storages))), 0x7e0c05, 300);
  });

  it('two references of one storage that disagree on its length give every tensor all its elements', async () => {
    // Found by the property above: the storage was cut to the first reference's length, so a later
    // view of a longer reference came out short (a [] tensor with 0 elements).
    const pickle = stateDictPickle([
      ['short', tensorPickle('0', 4, 0, [2], [1])],
      ['long', tensorPickle('0', 24, 4, [3, 2], [2, 1])],
    ]);
    const storages = [{ name: 'archive/data/0', data: floats(Array.from({ length: 24 }, (_, i) => i)) }];
    for (const bytes of [checkpoint(pickle, storages), checkpoint(pickle, [{ ...storages[0]!, deflate: true }])]) {
      const outcome = await boundedReadAsync(() => readTorchCheckpoint(bytes, SOURCE));
      if (!outcome.ok) throw outcome.error;
      checkTensors(outcome.value);
      if (outcome.value.get('long')!.data[5] !== 9) throw new Error('the long view does not end at storage element 9');
    }
  });

  it('a string cut short is reported as truncated', () => {
    // Found by the properties above: the truncation was caught as a UTF-8 error at a negative byte.
    const outcome = boundedRead(() => readPickle(concat(op.proto, op.str('weights').subarray(0, 7)), plainHooks, SOURCE));
    if (outcome.ok) throw new Error('a truncated pickle was read');
    if (!/truncated at byte \d+/.test(outcome.error.message)) throw new Error(`unexpected message: ${outcome.error.message}`);
  });

  it('readPickle itself on random opcodes and mutated pickles', async () => {
    const pickles = fc.oneof(randomPickle, mutatedBytes(basePickle), randomBytes(op.proto));
    await runFuzz(fc.property(pickles, (pickle) => void boundedRead(() => readPickle(pickle, plainHooks, SOURCE))), 0x7e0c06, 300);
  });
});
