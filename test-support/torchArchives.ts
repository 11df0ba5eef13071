// Writers of the two torch zip formats, for tests that need real-looking checkpoints without
// PyTorch: torch.save (`<folder>/data.pkl`, `data/<n>`, `version`, `byteorder`) and torch.jit.save
// TorchScript archives (`<folder>/data.pkl` holding `__torch__.*` module objects, `code/**`,
// `constants.pkl`, `data/<n>`). Built from the pickle (protocol 2) and zip format descriptions and
// torch's serialisation rules: entries stored, each one's data aligned to 64 bytes by padding its
// local header's extra field, as torch's writer does.
import { crc32 } from 'node:zlib';
import type { DType, Tensor, TensorMap } from '@aaclip/core';

/** A TorchScript module object: `__torch__.<module>.<className>` with these attributes. */
export class ScriptModule {
  constructor(
    readonly module: string,
    readonly className: string,
    readonly attributes: Map<string, PickleValue>,
  ) {}
}

/** A torch.device, pickled by torch.jit as `torch.device(name)`. */
export class Device {
  constructor(readonly name: string) {}
}

/** A Python tuple. */
export class Tuple {
  constructor(readonly items: PickleValue[]) {}
}

/**
 * What the pickler writes: None, bool, int/float (a number that is an integer is written as int),
 * str, list, tuple, dict (a Map, written as collections.OrderedDict like a state dict; a plain
 * object as a dict), tensors (core Tensors) and TorchScript objects.
 */
export type PickleValue = null | boolean | number | string | PickleValue[] | Tuple | Map<string, PickleValue> | { [key: string]: PickleValue } | Tensor | ScriptModule | Device;

const STORAGE: Readonly<Record<DType, string>> = {
  F32: 'FloatStorage', F64: 'DoubleStorage', F16: 'HalfStorage', BF16: 'BFloat16Storage', I64: 'LongStorage',
  I32: 'IntStorage', I16: 'ShortStorage', I8: 'CharStorage', U8: 'ByteStorage', BOOL: 'BoolStorage',
};

const isTensor = (v: unknown): v is Tensor => typeof v === 'object' && v !== null && 'dtype' in v && 'shape' in v && 'data' in v;

/** Pickles values (protocol 2, as torch writes); tensors' storages are collected for `data/<n>`. */
class Pickler {
  private readonly parts: Buffer[] = [Buffer.from([0x80, 2])];
  readonly storages: Uint8Array[] = [];

  private op(...bytes: number[]): void {
    this.parts.push(Buffer.from(bytes));
  }

  private str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    const head = Buffer.alloc(5);
    head[0] = 0x58; // BINUNICODE
    head.writeUInt32LE(b.length, 1);
    this.parts.push(head, b);
  }

  private int(n: number): void {
    if (n >= 0 && n < 256) this.op(0x4b, n);
    else if (n >= -(2 ** 31) && n < 2 ** 31) {
      const b = Buffer.alloc(5);
      b[0] = 0x4a;
      b.writeInt32LE(n, 1);
      this.parts.push(b);
    } else {
      const b = Buffer.alloc(10);
      b[0] = 0x8a;
      b[1] = 8;
      b.writeBigInt64LE(BigInt(n), 2);
      this.parts.push(b);
    }
  }

  private global(module: string, name: string): void {
    this.parts.push(Buffer.from(`c${module}\n${name}\n`, 'utf8'));
  }

  private tensor(t: Tensor): void {
    const key = String(this.storages.length);
    const data = t.data as Uint8Array;
    this.storages.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const strides = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    this.global('torch._utils', '_rebuild_tensor_v2');
    this.op(0x28); // MARK (the argument tuple)
    this.op(0x28); // MARK (the persistent id)
    this.str('storage');
    this.global('torch', STORAGE[t.dtype]);
    this.str(key);
    this.str('cpu');
    this.int(t.data.length);
    this.op(0x74, 0x51); // TUPLE, BINPERSID
    this.int(0); // storage offset
    this.op(0x28);
    for (const d of t.shape) this.int(d);
    this.op(0x74);
    this.op(0x28);
    for (const s of strides) this.int(s);
    this.op(0x74);
    this.op(0x89); // requires_grad False
    this.global('collections', 'OrderedDict');
    this.op(0x29, 0x52); // EMPTY_TUPLE, REDUCE: the backward hooks
    this.op(0x74, 0x52); // TUPLE, REDUCE
  }

  private items(entries: Iterable<[string, PickleValue]>): void {
    this.op(0x28);
    for (const [k, v] of entries) {
      this.str(k);
      this.value(v);
    }
    this.op(0x75); // SETITEMS
  }

  value(v: PickleValue): void {
    if (v === null) this.op(0x4e);
    else if (v === true) this.op(0x88);
    else if (v === false) this.op(0x89);
    else if (typeof v === 'number') {
      if (Number.isInteger(v)) this.int(v);
      else {
        const b = Buffer.alloc(9);
        b[0] = 0x47; // BINFLOAT, big-endian
        b.writeDoubleBE(v, 1);
        this.parts.push(b);
      }
    } else if (typeof v === 'string') this.str(v);
    else if (Array.isArray(v)) {
      this.op(0x5d, 0x28);
      for (const item of v) this.value(item);
      this.op(0x65); // APPENDS
    } else if (v instanceof Tuple) {
      this.op(0x28);
      for (const item of v.items) this.value(item);
      this.op(0x74);
    } else if (v instanceof Device) {
      this.global('torch', 'device');
      this.str(v.name);
      this.op(0x85, 0x52); // TUPLE1, REDUCE
    } else if (v instanceof ScriptModule) {
      this.global(`__torch__.${v.module}`, v.className);
      this.op(0x29, 0x81, 0x7d); // EMPTY_TUPLE, NEWOBJ, EMPTY_DICT
      this.items(v.attributes);
      this.op(0x62); // BUILD
    } else if (v instanceof Map) {
      this.global('collections', 'OrderedDict');
      this.op(0x29, 0x52);
      this.items(v);
    } else if (isTensor(v)) this.tensor(v);
    else {
      this.op(0x7d);
      this.items(Object.entries(v));
    }
  }

  bytes(): Uint8Array {
    return new Uint8Array(Buffer.concat([...this.parts, Buffer.from('.')]));
  }
}

/** The pickle (protocol 2) of `value` and the storages its tensors reference, in key order. */
export function pickleWithStorages(value: PickleValue): { pickle: Uint8Array; storages: Uint8Array[] } {
  const p = new Pickler();
  p.value(value);
  return { pickle: p.bytes(), storages: p.storages };
}

/** A zip of stored entries, each entry's data aligned to 64 bytes (torch pads the extra field). */
export function alignedZip(entries: readonly { name: string; data: Uint8Array }[]): Uint8Array {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const unpadded = offset + 30 + nameBytes.length + 4;
    const pad = (64 - (unpadded % 64)) % 64;
    const extra = Buffer.alloc(4 + pad);
    extra.writeUInt16LE(0x4246, 0); // "FB", torch's padding record
    extra.writeUInt16LE(pad, 2);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const record = Buffer.alloc(46);
    record.writeUInt32LE(0x02014b50, 0);
    record.writeUInt16LE(20, 4);
    record.writeUInt16LE(20, 6);
    record.writeUInt32LE(crc, 16);
    record.writeUInt32LE(data.length, 20);
    record.writeUInt32LE(data.length, 24);
    record.writeUInt16LE(nameBytes.length, 28);
    record.writeUInt32LE(offset, 42);
    parts.push(local, nameBytes, extra, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    central.push(record, nameBytes);
    offset += 30 + nameBytes.length + extra.length + data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...parts, directory, end]));
}

const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

/** What torch.save(value, f) writes (PyTorch ≥ 1.6): the zip with `<folder>/data.pkl` and its storages. */
export function torchSaveBytes(value: PickleValue, folder = 'archive'): Uint8Array {
  const { pickle, storages } = pickleWithStorages(value);
  return alignedZip([
    { name: `${folder}/data.pkl`, data: pickle },
    { name: `${folder}/byteorder`, data: text('little') },
    ...storages.map((data, i) => ({ name: `${folder}/data/${i}`, data })),
    { name: `${folder}/version`, data: text('3\n') },
    { name: `${folder}/.data/serialization_id`, data: text('0123456789012345678901234567890123456789') },
  ]);
}

/** A state dict as torch.save writes it (an OrderedDict of tensors). */
export function torchSaveStateDict(tensors: TensorMap, folder = 'archive'): Uint8Array {
  return torchSaveBytes(new Map(tensors), folder);
}

/**
 * What torch.jit.save writes: `<folder>/data.pkl` (the module object), `<folder>/code/**` (the
 * given source files, e.g. `{"__torch__/model.py": "…"}`), `<folder>/constants.pkl` (an empty
 * tuple) and the storages.
 */
export function torchScriptBytes(root: ScriptModule, code: Readonly<Record<string, string>>, folder: string): Uint8Array {
  const { pickle, storages } = pickleWithStorages(root);
  return alignedZip([
    { name: `${folder}/data.pkl`, data: pickle },
    ...Object.entries(code).map(([path, source]) => ({ name: `${folder}/code/${path}`, data: text(source) })),
    { name: `${folder}/constants.pkl`, data: new Uint8Array([0x80, 2, 0x29, 0x2e]) },
    ...storages.map((data, i) => ({ name: `${folder}/data/${i}`, data })),
    { name: `${folder}/version`, data: text('3\n') },
  ]);
}

/**
 * The module tree OpenAI's TorchScript CLIP pickles for a state dict: every key prefix becomes a
 * `__torch__` object (with `training: False`), every leaf its tensor; the root also gets the sizes
 * OpenAI's model keeps as int64 tensors (input_resolution, context_length, vocab_size) and a device
 * attribute, and each text block the causal mask OpenAI keeps as an attribute (`attn_mask`, which
 * is no weight). A reader must give back exactly `stateDict`.
 */
export function openAiScriptModule(stateDict: TensorMap, extras: { inputResolution: number; contextLength: number; vocabSize: number }): ScriptModule {
  const root = new ScriptModule('multimodal.model.multimodal_transformer', 'Multimodal', new Map<string, PickleValue>([['training', false]]));
  for (const [key, tensor] of stateDict) {
    const parts = key.split('.');
    let node = root;
    parts.slice(0, -1).forEach((part, i) => {
      let child = node.attributes.get(part);
      if (!(child instanceof ScriptModule)) {
        const path = parts.slice(0, i + 1).join('.');
        child = new ScriptModule(`multimodal.model.${path.replace(/\.\d+(?=\.|$)/g, '')}`, /^\d+$/.test(part) ? 'ResidualAttentionBlock' : 'Module', new Map([['training', false]]));
        node.attributes.set(part, child);
      }
      node = child;
    });
    node.attributes.set(parts.at(-1)!, tensor);
  }
  // OpenAI's model keeps these sizes as int64 tensors beside its weights (open_clip drops them).
  const size = (n: number): Tensor => ({ dtype: 'I64', shape: [], data: new BigInt64Array([BigInt(n)]) });
  root.attributes.set('input_resolution', size(extras.inputResolution));
  root.attributes.set('context_length', size(extras.contextLength));
  root.attributes.set('vocab_size', size(extras.vocabSize));
  root.attributes.set('device', new Device('cuda:0'));
  const mask = new Float32Array(extras.contextLength * extras.contextLength);
  for (let r = 0; r < extras.contextLength; r++) for (let c = r + 1; c < extras.contextLength; c++) mask[r * extras.contextLength + c] = -Infinity;
  const blocks = (root.attributes.get('transformer') as ScriptModule | undefined)?.attributes.get('resblocks') as ScriptModule | undefined;
  for (const [, block] of blocks?.attributes ?? []) {
    if (block instanceof ScriptModule) block.attributes.set('attn_mask', { dtype: 'F32', shape: [extras.contextLength, extras.contextLength], data: mask });
  }
  return root;
}
