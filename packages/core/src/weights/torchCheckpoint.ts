// torch.save checkpoints (the zip format, PyTorch ≥ 1.6) and TorchScript archives (torch.jit.save,
// e.g. OpenAI's CLIP .pt files) read without running any of their code: `<name>/data.pkl` is
// interpreted by the restricted pickle reader, tensors are rebuilt from the `<name>/data/<key>`
// storages, and nested dicts (or TorchScript modules' attributes) are flattened to "a.b.c" names.
import { AaclipError } from '../errors/aaclipError.js';
import type { DType, Tensor, TensorMap } from '../tensor/tensor.js';
import { numel, shapeToString } from '../tensor/tensor.js';
import { DTYPE_ITEM_SIZE, allocateTensorData, tensorDataFromBytes, typedArrayView } from './dtypeLayout.js';
import type { PickleHooks, PyKey, PyValue } from './restrictedPickle.js';
import { PyDict, PyGlobal, PyObject, PyPersistent, PyTuple, readPickle } from './restrictedPickle.js';
import { isTorchScriptArchive, scriptModuleStateDict, torchScriptHooks } from './torchScriptArchive.js';
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

/** A storage as the pickle references it; its bytes are read from the archive after the pickle. */
interface StorageRef {
  dtype: DType;
  key: string;
  /** elements */
  length: number;
}

/** A tensor as the pickle describes it: a view of a storage, turned into data once the storages are read. */
class TensorView {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

/**
 * Views that cannot share their storage's memory (transposed, strided) are copied; all the copies
 * made from one storage may hold at most this many times its elements. One full-size copy of each
 * storage (a transposed weight) is what real checkpoints need; the cap stops a small pickle from
 * rebuilding one large storage hundreds of times (identical views share one copy and are free).
 */
export const MAX_COPIES_PER_STORAGE = 2;
/** State-dict names are some tens of characters; a longer one means absurd nesting or keys. */
export const MAX_TENSOR_NAME_LENGTH = 1024;
/** data.pkl of a state dict is some hundred bytes per tensor: 64 MiB is ample for any checkpoint. */
export const MAX_PICKLE_BYTES = 64 * 1024 * 1024;

const isInt = (v: PyValue): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function intTuple(value: PyValue, what: string, fail: (p: string) => never): number[] {
  if (!(value instanceof PyTuple) || !value.items.every((d) => isInt(d) && d >= 0)) {
    return fail(`${what} is not a tuple of non-negative integers`);
  }
  return value.items as number[];
}

const isContiguous = (shape: number[], stride: number[]): boolean =>
  shape.every((_, d) => shape[d] === 1 || stride[d] === shape.slice(d + 1).reduce((a, b) => a * b, 1));

/**
 * Copies the strided view `shape`/`stride` at `offset` out of a storage's elements. `storage` and
 * the result are the same typed-array type (both made for `dtype`); the casts only let one code path
 * serve every element type.
 */
function gatherStrided(dtype: DType, storage: Tensor['data'], offset: number, shape: number[], stride: number[]): Tensor['data'] {
  const out = allocateTensorData(dtype, numel(shape));
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

/**
 * Every tensor under `root`, nested container keys joined with '.', in the pickle's order. Walks
 * with an explicit stack (no recursion, however deep the nesting); each container is visited once.
 */
function collectTensors(root: PyValue, materialise: (view: TensorView) => Tensor, fail: (p: string) => never): TensorMap {
  const out: TensorMap = new Map();
  const seen = new Set<object>();
  interface Frame {
    prefix: string;
    /** The container's children: list/tuple items by index, or a dict's entries. */
    items: readonly PyValue[] | Iterator<[PyKey, PyValue]>;
    next: number;
  }
  const enter = (value: PyValue, name: string): Frame | undefined => {
    const isView = value instanceof PyObject && value.value instanceof TensorView;
    let items: Frame['items'];
    if (value instanceof PyDict) items = value.entries.entries();
    else if (Array.isArray(value)) items = value;
    else if (value instanceof PyTuple) items = value.items;
    else if (!isView) return undefined; // numbers, strings and the like (e.g. "epoch") are not weights
    if (name.length > MAX_TENSOR_NAME_LENGTH) {
      return fail(`a tensor name starting "${name.slice(0, 60)}…" is longer than ${MAX_TENSOR_NAME_LENGTH} characters (nesting too deep?)`);
    }
    if (isView) {
      out.set(name, materialise((value as PyObject).value as TensorView));
      return undefined;
    }
    if (seen.has(value as object)) return undefined;
    seen.add(value as object);
    return { prefix: name, items: items!, next: 0 };
  };
  const stack: Frame[] = [];
  const first = enter(root, '');
  if (first) stack.push(first);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    let key: string;
    let child: PyValue;
    if (Array.isArray(frame.items)) {
      if (frame.next >= frame.items.length) {
        stack.pop();
        continue;
      }
      key = String(frame.next);
      child = (frame.items as readonly PyValue[])[frame.next++]!;
    } else {
      const next = (frame.items as Iterator<[PyKey, PyValue]>).next();
      if (next.done) {
        stack.pop();
        continue;
      }
      key = String(next.value[0]);
      child = next.value[1];
    }
    const frameOfChild = enter(child, frame.prefix ? `${frame.prefix}.${key}` : key);
    if (frameOfChild) stack.push(frameOfChild);
  }
  return out;
}

// torch.save's pre-1.6 format is a series of pickles, the first being this magic number (a LONG1).
const LEGACY_MAGIC = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

/** True for a file in torch.save's legacy (pre-1.6, not zip) format: a pickle of its magic number first. */
export function isLegacyTorchSave(bytes: Uint8Array): boolean {
  if (bytes.length < 2 || bytes[0] !== 0x80 || bytes[1]! > 5) return false;
  // PROTO, perhaps a FRAME, then the magic number; it lies within the first few bytes.
  const head = bytes.subarray(0, 32);
  for (let at = 2; at + LEGACY_MAGIC.length <= head.length; at++) {
    if (LEGACY_MAGIC.every((b, i) => head[at + i] === b)) return true;
  }
  return false;
}

/** Which writer made a torch zip archive. */
export type TorchArchiveFormat = 'torch.save' | 'torchscript';

export interface TorchArchive {
  readonly format: TorchArchiveFormat;
  /** Every tensor, by its flattened key (for TorchScript: the module's state dict, by attribute path). */
  readonly tensors: TensorMap;
}

/**
 * Reads a torch.save zip checkpoint and returns every tensor in it, nested dict keys joined with
 * '.' (`{"text_adapter": {"0.fc.0.weight": t}}` → "text_adapter.0.fc.0.weight"). Only tensors and
 * plain containers are accepted; any other Python global is refused by name, nothing is executed.
 * A TorchScript archive (OpenAI's CLIP .pt) gives its module's state dict the same way (see
 * readTorchArchive).
 *
 * Work is bounded by the file: the pickle is read first (capped, see readPickle's limits), then only
 * the storages it references are inflated, each to no more than its declared elements need; a
 * tensor may not hold more elements than its storage (stride 0 is refused), contiguous views share
 * their storage's memory and other views are copied at most MAX_COPIES_PER_STORAGE times over.
 */
export async function readTorchCheckpoint(bytes: Uint8Array, source: string): Promise<TensorMap> {
  return (await readTorchArchive(bytes, source)).tensors;
}

/**
 * readTorchCheckpoint, also saying which format the archive is. A TorchScript archive (it has
 * `<name>/constants.pkl` or `<name>/code/`) is read as data: its `__torch__.*` module objects
 * become plain containers of their attributes (torchScriptArchive.ts), its code is never read.
 */
export async function readTorchArchive(bytes: Uint8Array, source: string): Promise<TorchArchive> {
  if (isLegacyTorchSave(bytes)) {
    throw new AaclipError(
      'is a legacy torch.save file (the pre-1.6 format, not a zip); load it in PyTorch and re-save it with torch.save (PyTorch ≥ 1.6) or as safetensors',
      source,
    );
  }
  if (bytes.length >= 2 && bytes[0] === 0x80) {
    throw new AaclipError('is a bare pickle, not a torch.save zip checkpoint; re-save it with torch.save (PyTorch ≥ 1.6) or as safetensors', source);
  }
  const zip = new ZipArchive(bytes, source);
  const pickles = [...zip.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pickles.length === 0 && [...zip.entries.keys()].some((n) => /^[^/]+\/model\.json$/.test(n))) {
    throw new AaclipError('is a TorchScript archive of the old format (PyTorch < 1.4: model.json, no data.pkl); load it in PyTorch and re-save it with a current version', source);
  }
  if (pickles.length !== 1) {
    throw new AaclipError(`is not a torch.save checkpoint (expected one "<name>/data.pkl", found ${pickles.length})`, source);
  }
  const prefix = pickles[0]!.slice(0, -'data.pkl'.length);
  const format: TorchArchiveFormat = isTorchScriptArchive(zip.entries.keys(), prefix) ? 'torchscript' : 'torch.save';
  const byteOrder = zip.entries.has(`${prefix}byteorder`) ? new TextDecoder().decode(await zip.read(`${prefix}byteorder`, 64)).trim() : 'little';
  if (byteOrder !== 'little') throw new AaclipError(`stores tensors in ${byteOrder}-endian order; only little-endian is supported`, source);
  const fail = (problem: string): never => {
    throw new AaclipError(problem, source);
  };

  // The pickle is read first; it only records which storages it needs (and how many bytes of each).
  const storageNeeds = new Map<string, number>();
  const hooks: PickleHooks = {
    allowedGlobals: ALLOWED_GLOBALS,
    persistentLoad(pid) {
      if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage' || pid.items.length !== 5) {
        return fail('pickle: unknown persistent id (only tensor storages are allowed)');
      }
      const [, type, key, , length] = pid.items;
      const dtype = type instanceof PyGlobal ? STORAGE_DTYPES[type.qualifiedName] : undefined;
      if (!dtype) return fail('pickle: storage of an unknown type');
      if (typeof key !== 'string' || !isInt(length!) || length < 0) return fail('pickle: malformed storage reference');
      const entry = zip.entries.get(`${prefix}data/${key}`);
      if (!entry) return fail(`storage "${key}" is missing from the archive`);
      const byteLength = length * DTYPE_ITEM_SIZE[dtype];
      if (entry.uncompressedSize < byteLength) {
        return fail(`storage "${key}" has ${entry.uncompressedSize} bytes, ${length} ${dtype} elements need ${byteLength}`);
      }
      storageNeeds.set(key, Math.max(storageNeeds.get(key) ?? 0, byteLength));
      return new PyPersistent({ dtype, key, length } satisfies StorageRef);
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
          const storage = storageRef.value as StorageRef;
          const shape = intTuple(size ?? null, 'tensor size', fail);
          const strides = intTuple(stride ?? null, 'tensor stride', fail);
          if (!isInt(offset ?? null) || (offset as number) < 0 || strides.length !== shape.length) return fail('pickle: malformed tensor');
          const n = numel(shape);
          // More elements than the storage holds can only be a view that repeats them (stride 0, as
          // torch's expand() makes): copying it could need gigabytes from a few bytes, so it is refused.
          if (n > storage.length) {
            return fail(
              `tensor ${shapeToString(shape)} has ${n} elements but its storage "${storage.key}" holds ${storage.length} (a view that repeats elements, e.g. stride 0, is not supported)`,
            );
          }
          const last = (offset as number) + shape.reduce((acc, d, i) => acc + (d - 1) * strides[i]!, 0);
          if (n > 0 && last >= storage.length) {
            return fail(`tensor ${shapeToString(shape)} at offset ${offset} reads past its storage "${storage.key}" (${storage.length} elements)`);
          }
          return new PyObject(new TensorView(storage, offset as number, shape, strides));
        }
        default:
          return fail(`pickle: ${callable.qualifiedName} cannot be called`);
      }
    },
  };
  const root = readPickle(await zip.read(pickles[0]!, MAX_PICKLE_BYTES), format === 'torchscript' ? torchScriptHooks(hooks, fail) : hooks, source);

  // Only the storages the pickle references are read, each inflated to no more than it needs.
  const storageBytes = new Map<string, Uint8Array>();
  for (const [key, needed] of storageNeeds) storageBytes.set(key, await zip.read(`${prefix}data/${key}`, needed));
  const storages = new Map<string, Tensor['data']>();
  const storageData = ({ key, dtype }: StorageRef): Tensor['data'] => {
    const cacheKey = `${key}:${dtype}`;
    let data = storages.get(cacheKey);
    if (!data) {
      const raw = storageBytes.get(key)!;
      // The longest length any reference declared (references of one key may disagree): each view
      // was checked against its own reference's length, so every view fits in this one.
      const length = Math.floor(storageNeeds.get(key)! / DTYPE_ITEM_SIZE[dtype]);
      const byteLength = length * DTYPE_ITEM_SIZE[dtype];
      // Viewed when aligned, as safetensors tensors are: an inflated storage is fresh memory, a stored
      // one lies in the caller's file bytes (torch aligns each entry's data to 64 bytes), which it
      // must then leave unchanged while the tensors are in use. A ViT-L checkpoint is thus held
      // once, not twice; an unaligned storage is copied.
      data =
        raw.byteOffset % DTYPE_ITEM_SIZE[dtype] === 0
          ? typedArrayView(dtype, raw.buffer, raw.byteOffset, length)
          : tensorDataFromBytes(dtype, raw, 0, byteLength);
      storages.set(cacheKey, data);
    }
    return data;
  };
  const copied = new Map<string, number>();
  const made = new Map<string, Tensor>();
  const materialise = (view: TensorView): Tensor => {
    const { storage, offset, shape, stride } = view;
    const id = `${storage.key}:${storage.dtype}:${offset}:${shape.join(',')}:${stride.join(',')}`;
    const done = made.get(id);
    if (done) return done;
    const data = storageData(storage);
    const n = numel(shape);
    let tensor: Tensor;
    if (isContiguous(shape, stride)) {
      tensor = { dtype: storage.dtype, shape, data: data.subarray(offset, offset + n) as Tensor['data'] };
    } else {
      const total = (copied.get(storage.key) ?? 0) + n;
      if (total > MAX_COPIES_PER_STORAGE * storage.length) {
        return fail(
          `tensors copy ${total} elements out of storage "${storage.key}" of ${storage.length} (more than ${MAX_COPIES_PER_STORAGE}× its size: one storage rebuilt many times?)`,
        );
      }
      copied.set(storage.key, total);
      tensor = { dtype: storage.dtype, shape, data: gatherStrided(storage.dtype, data, offset, shape, stride) };
    }
    made.set(id, tensor);
    return tensor;
  };
  const tensors = collectTensors(root, materialise, fail);
  return { format, tensors: format === 'torchscript' ? scriptModuleStateDict(tensors) : tensors };
}
