// Writers for the files the torch checkpoint tests feed the readers: a tiny zip writer (stored or
// deflated entries, extra directory entries aliasing another's bytes, declared sizes that lie), a
// pickle opcode kit (protocol 2), and deflate streams that inflate to far more than they occupy —
// built from the zip and deflate format descriptions, so hostile files stay a few MB at most.
import { constants, crc32, deflateRawSync } from 'node:zlib';

export interface ZipEntrySpec {
  name: string;
  /** The entry's content; stored unless `deflate`. */
  data?: Uint8Array;
  deflate?: boolean;
  /** A ready deflate body with the size and CRC its headers should declare (for bombs). */
  deflated?: { body: Uint8Array; declaredSize: number; crc?: number };
}

/** A zip archive of `entries`; each `aliases` item adds a directory entry pointing at another entry's bytes. */
export function zip(entries: ZipEntrySpec[], aliases: { name: string; of: string }[] = []): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  const placed = new Map<string, Buffer>();
  let offset = 0;
  const central = (nameBytes: Buffer, method: number, crc: number, compressed: number, size: number, at: number): Buffer => {
    const head = Buffer.alloc(46);
    head.writeUInt32LE(0x02014b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt16LE(20, 6);
    head.writeUInt16LE(method, 10);
    head.writeUInt32LE(crc, 16);
    head.writeUInt32LE(compressed, 20);
    head.writeUInt32LE(size, 24);
    head.writeUInt16LE(nameBytes.length, 28);
    head.writeUInt32LE(at, 42);
    return Buffer.concat([head, nameBytes]);
  };
  for (const { name, data, deflate, deflated } of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const content = data ?? new Uint8Array(0);
    const method = deflate || deflated ? 8 : 0;
    const body = deflated ? Buffer.from(deflated.body) : deflate ? deflateRawSync(content) : Buffer.from(content);
    const size = deflated ? deflated.declaredSize : content.length;
    const crc = deflated ? (deflated.crc ?? 0) : crc32(content);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const record = central(nameBytes, method, crc, body.length, size, offset);
    locals.push(local, nameBytes, body);
    centrals.push(record);
    placed.set(name, record);
    offset += 30 + nameBytes.length + body.length;
  }
  for (const { name, of } of aliases) {
    const original = placed.get(of)!;
    const nameBytes = Buffer.from(name, 'utf8');
    const record = Buffer.concat([original.subarray(0, 46), nameBytes]);
    record.writeUInt16LE(nameBytes.length, 28);
    centrals.push(record);
  }
  const centralBytes = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(centrals.length, 8);
  end.writeUInt16LE(centrals.length, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, centralBytes, end]));
}

const MiB = 1024 * 1024;

/**
 * A raw deflate stream that inflates to `mebibytes` MiB of `byte`: one 1 MiB block, compressed once
 * and ended by a sync flush (so it can be repeated), written `mebibytes` times, then an empty final
 * block. 1 GiB takes about 1 MB; nothing is ever inflated to build it.
 */
export function deflateBomb(mebibytes: number, byte = 0): Uint8Array {
  const block = deflateRawSync(new Uint8Array(MiB).fill(byte), { finishFlush: constants.Z_SYNC_FLUSH });
  const out = Buffer.alloc(block.length * mebibytes + 2);
  for (let i = 0; i < mebibytes; i++) block.copy(out, i * block.length);
  out[out.length - 2] = 0x03; // an empty final block with fixed Huffman codes
  out[out.length - 1] = 0x00;
  return new Uint8Array(out);
}

/** The same as a gzip member (header, bomb, a trailer whose CRC and size nobody reaches). */
export function gzipBomb(mebibytes: number): Uint8Array {
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  return new Uint8Array(Buffer.concat([header, deflateBomb(mebibytes), Buffer.alloc(8)]));
}

// ---- pickle opcodes (protocol 2) ----
export const op = {
  proto: Buffer.from([0x80, 2]),
  mark: Buffer.from('('),
  emptyDict: Buffer.from('}'),
  emptyList: Buffer.from(']'),
  emptyTuple: Buffer.from(')'),
  tuple: Buffer.from('t'),
  tuple2: Buffer.from([0x86]),
  setitems: Buffer.from('u'),
  append: Buffer.from('a'),
  appends: Buffer.from('e'),
  reduce: Buffer.from('R'),
  binpersid: Buffer.from('Q'),
  none: Buffer.from('N'),
  newfalse: Buffer.from([0x89]),
  stop: Buffer.from('.'),
  binput: (i: number) => Buffer.from([0x71, i]),
  binget: (i: number) => Buffer.from([0x68, i]),
  global: (module: string, name: string) => Buffer.from(`c${module}\n${name}\n`),
  str: (s: string) => {
    const b = Buffer.from(s, 'utf8');
    const head = Buffer.alloc(5);
    head.write('X', 0);
    head.writeUInt32LE(b.length, 1);
    return Buffer.concat([head, b]);
  },
  /** BININT1 below 256, else BININT. */
  int: (n: number) => {
    if (n < 256) return Buffer.from([0x4b, n]);
    const b = Buffer.alloc(5);
    b[0] = 0x4a;
    b.writeInt32LE(n, 1);
    return b;
  },
  /** LONG1 (≤ 255 bytes) or LONG4 of raw little-endian two's-complement bytes. */
  long: (bytes: Uint8Array) => {
    if (bytes.length < 256) return Buffer.concat([Buffer.from([0x8a, bytes.length]), bytes]);
    const head = Buffer.alloc(5);
    head[0] = 0x8b;
    head.writeUInt32LE(bytes.length, 1);
    return Buffer.concat([head, bytes]);
  },
};

/** The persistent id torch.save writes for a FloatStorage: `('storage', FloatStorage, key, 'cpu', length)`. */
export function storagePickle(key: string, length: number): Buffer {
  return Buffer.concat([
    op.mark, op.str('storage'), op.global('torch', 'FloatStorage'), op.str(key), op.str('cpu'), op.int(length), op.tuple,
    op.binpersid,
  ]);
}

/** `_rebuild_tensor_v2(storage(key, FloatStorage, length), offset, size, stride, False, OrderedDict())` */
export function tensorPickle(key: string, length: number, offset: number, size: number[], stride: number[]): Buffer {
  return Buffer.concat([
    op.global('torch._utils', '_rebuild_tensor_v2'),
    op.mark,
    storagePickle(key, length),
    op.int(offset),
    op.mark, ...size.map(op.int), op.tuple,
    op.mark, ...stride.map(op.int), op.tuple,
    op.newfalse,
    op.global('collections', 'OrderedDict'), op.emptyTuple, op.reduce,
    op.tuple,
    op.reduce,
  ]);
}

/** A pickle of `{name: tensor, …}` (protocol 2). */
export function stateDictPickle(tensors: [string, Buffer][]): Buffer {
  return Buffer.concat([op.proto, op.emptyDict, op.mark, ...tensors.flatMap(([name, t]) => [op.str(name), t]), op.setitems, op.stop]);
}

export function floats(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}
