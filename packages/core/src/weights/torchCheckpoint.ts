// torch.save checkpoints (the zip format, PyTorch ≥ 1.6) read without running any of their code:
// `<name>/data.pkl` is interpreted by the restricted pickle reader, tensors are rebuilt from the
// `<name>/data/<key>` storages, and nested dicts are flattened to "a.b.c" names.
import { AaclipError } from '../errors/aaclipError.js';
import type { DType, Tensor, TensorMap } from '../tensor/tensor.js';
import { numel, shapeToString } from '../tensor/tensor.js';
import { DTYPE_ITEM_SIZE, allocateTensorData, tensorDataFromBytes } from './dtypeLayout.js';
import type { PickleHooks, PyValue } from './restrictedPickle.js';
import { PyDict, PyGlobal, PyObject, PyPersistent, PyTuple, readPickle } from './restrictedPickle.js';
import { ZipArchive } from './zipArchive.js';

const STORAGE_DTYPES: Readonly<Record<string, DType>> = {
  'torch.FloatStorage': 'F32',
  'torch.DoubleStorage': 'F64',
  'torch.HalfStorage': 'F16',
  'torch.BFloat16Storage': 'BF16',
  'torch.LongStorage': 'I64',
  'torch.IntStorage': 'I32',
  'torch.ShortStorage': 'I16',
  'torch.CharStorage': 'I8',
  'torch.ByteStorage': 'U8',
  'torch.BoolStorage': 'BOOL',
};

const REBUILD_TENSOR = 'torch._utils._rebuild_tensor_v2';
const REBUILD_PARAMETER = 'torch._utils._rebuild_parameter';
const ORDERED_DICT = 'collections.OrderedDict';

const ALLOWED_GLOBALS: ReadonlySet<string> = new Set([
  ...Object.keys(STORAGE_DTYPES),
  REBUILD_TENSOR,
  REBUILD_PARAMETER,
  ORDERED_DICT,
]);

interface Storage {
  dtype: DType;
  key: string;
  /** elements */
  length: number;
}

const isInt = (v: PyValue): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function intTuple(value: PyValue, what: string, fail: (p: string) => never): number[] {
  if (!(value instanceof PyTuple) || !value.items.every((d) => isInt(d) && d >= 0)) {
    return fail(`${what} is not a tuple of non-negative integers`);
  }
  return value.items as number[];
}

/**
 * Copies the (possibly strided) view `shape`/`stride` at `offset` out of a storage's elements.
 * `storage` and the result are the same typed-array type (both made for `dtype`); the casts only
 * let one code path serve every element type.
 */
function gatherStrided(dtype: DType, storage: Tensor['data'], offset: number, shape: number[], stride: number[]): Tensor['data'] {
  const out = allocateTensorData(dtype, numel(shape));
  const contiguous = shape.every((_, d) => shape[d] === 1 || stride[d] === shape.slice(d + 1).reduce((a, b) => a * b, 1));
  if (contiguous) {
    (out as Uint8Array).set((storage as Uint8Array).subarray(offset, offset + out.length));
    return out;
  }
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let at = offset;
    for (let d = 0; d < shape.length; d++) at += index[d]! * stride[d]!;
    (out as Uint8Array)[i] = (storage as Uint8Array)[at]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

function flatten(value: PyValue, prefix: string, out: TensorMap, seen: Set<object>): void {
  if (value instanceof PyObject && isTensor(value.value)) {
    out.set(prefix, value.value);
    return;
  }
  let children: [string, PyValue][] = [];
  if (value instanceof PyDict) children = [...value.entries].map(([k, v]) => [String(k), v]);
  else if (Array.isArray(value)) children = value.map((v, i) => [String(i), v]);
  else if (value instanceof PyTuple) children = value.items.map((v, i) => [String(i), v]);
  else return; // numbers, strings and the like (e.g. "epoch") are not weights
  if (seen.has(value as object)) return;
  seen.add(value as object);
  for (const [key, child] of children) flatten(child, prefix ? `${prefix}.${key}` : key, out, seen);
}

function isTensor(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && 'dtype' in value && 'shape' in value && 'data' in value;
}

/**
 * Reads a torch.save zip checkpoint and returns every tensor in it, nested dict keys joined with
 * '.' (`{"text_adapter": {"0.fc.0.weight": t}}` → "text_adapter.0.fc.0.weight"). Only tensors and
 * plain containers are accepted; any other Python global is refused by name, nothing is executed.
 */
export async function readTorchCheckpoint(bytes: Uint8Array, source: string): Promise<TensorMap> {
  if (bytes.length >= 2 && bytes[0] === 0x80) {
    throw new AaclipError('is a legacy (pre-zip) torch.save file; re-save it with PyTorch ≥ 1.6 or convert it to safetensors', source);
  }
  const zip = new ZipArchive(bytes, source);
  const pickles = [...zip.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pickles.length !== 1) {
    throw new AaclipError(`is not a torch.save checkpoint (expected one "<name>/data.pkl", found ${pickles.length})`, source);
  }
  const prefix = pickles[0]!.slice(0, -'data.pkl'.length);
  const byteOrder = zip.entries.has(`${prefix}byteorder`) ? new TextDecoder().decode(await zip.read(`${prefix}byteorder`)).trim() : 'little';
  if (byteOrder !== 'little') throw new AaclipError(`stores tensors in ${byteOrder}-endian order; only little-endian is supported`, source);

  // The pickle references storages by key; load each one's bytes first (the pickle is synchronous).
  const storageBytes = new Map<string, Uint8Array>();
  for (const name of zip.entries.keys()) {
    if (name.startsWith(`${prefix}data/`)) storageBytes.set(name.slice(`${prefix}data/`.length), await zip.read(name));
  }
  const storages = new Map<string, Tensor['data']>();
  const fail = (problem: string): never => {
    throw new AaclipError(problem, source);
  };

  const hooks: PickleHooks = {
    allowedGlobals: ALLOWED_GLOBALS,
    persistentLoad(pid) {
      if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage' || pid.items.length !== 5) {
        return fail('pickle: unknown persistent id (only tensor storages are allowed)');
      }
      const [, type, key, , length] = pid.items;
      const dtype = type instanceof PyGlobal ? STORAGE_DTYPES[type.qualifiedName] : undefined;
      if (!dtype) return fail('pickle: storage of an unknown type');
      if (typeof key !== 'string' || !isInt(length!)) return fail('pickle: malformed storage reference');
      const raw = storageBytes.get(key);
      if (!raw) return fail(`storage "${key}" is missing from the archive`);
      const byteLength = (length as number) * DTYPE_ITEM_SIZE[dtype];
      if (raw.length < byteLength) return fail(`storage "${key}" has ${raw.length} bytes, ${length} ${dtype} elements need ${byteLength}`);
      const cacheKey = `${key}:${dtype}`;
      if (!storages.has(cacheKey)) storages.set(cacheKey, tensorDataFromBytes(dtype, raw, 0, byteLength));
      const storage: Storage = { dtype, key, length: length as number };
      return new PyPersistent(storage);
    },
    reduce(callable, args) {
      switch (callable.qualifiedName) {
        case ORDERED_DICT: {
          const dict = new PyDict();
          const pairs = args[0];
          if (Array.isArray(pairs)) {
            for (const pair of pairs) {
              if (!(pair instanceof PyTuple) || pair.items.length !== 2 || typeof pair.items[0] !== 'string') {
                return fail('pickle: OrderedDict built from something other than (key, value) pairs');
              }
              dict.entries.set(pair.items[0], pair.items[1]!);
            }
          }
          return dict;
        }
        case REBUILD_PARAMETER: {
          const data = args[0];
          if (!(data instanceof PyObject)) return fail('pickle: a parameter without a tensor');
          return data;
        }
        case REBUILD_TENSOR: {
          const [storageRef, offset, size, stride] = args;
          if (!(storageRef instanceof PyPersistent)) return fail('pickle: a tensor without a storage');
          const storage = storageRef.value as Storage;
          const shape = intTuple(size ?? null, 'tensor size', fail);
          const strides = intTuple(stride ?? null, 'tensor stride', fail);
          if (!isInt(offset ?? null) || strides.length !== shape.length) return fail('pickle: malformed tensor');
          const n = numel(shape);
          const last = (offset as number) + shape.reduce((acc, d, i) => acc + (d - 1) * strides[i]!, 0);
          if (n > 0 && last >= storage.length) {
            return fail(`tensor ${shapeToString(shape)} at offset ${offset} reads past its storage "${storage.key}" (${storage.length} elements)`);
          }
          const data = gatherStrided(storage.dtype, storages.get(`${storage.key}:${storage.dtype}`)!, offset as number, shape, strides);
          return new PyObject({ dtype: storage.dtype, shape, data } satisfies Tensor);
        }
        default:
          return fail(`pickle: ${callable.qualifiedName} cannot be called`);
      }
    },
  };

  const root = readPickle(await zip.read(pickles[0]!), hooks, source);
  const tensors: TensorMap = new Map();
  flatten(root, '', tensors, new Set());
  return tensors;
}
