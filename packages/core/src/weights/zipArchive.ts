// A minimal, read-only zip reader for torch.save checkpoints: the central directory (zip64 too),
// stored and deflated entries, CRC-32 checked. Every offset and size is bounds-checked.
import { AaclipError } from '../errors/aaclipError.js';
import { decompress } from './decompress.js';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate */
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE, reflected, as zip uses). */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export class ZipArchive {
  readonly entries: ReadonlyMap<string, ZipEntry>;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly source: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.entries = this.readCentralDirectory();
  }

  private fail(problem: string): never {
    throw new AaclipError(problem, this.source);
  }

  private u16(at: number): number {
    if (at + 2 > this.bytes.length) this.fail(`zip structure at byte ${at} is past the end of the file`);
    return this.view.getUint16(at, true);
  }

  private u32(at: number): number {
    if (at + 4 > this.bytes.length) this.fail(`zip structure at byte ${at} is past the end of the file`);
    return this.view.getUint32(at, true);
  }

  private u64(at: number): number {
    if (at + 8 > this.bytes.length) this.fail(`zip structure at byte ${at} is past the end of the file`);
    const value = this.view.getBigUint64(at, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`zip64 field at byte ${at} is implausibly large`);
    return Number(value);
  }

  private findEndOfCentralDirectory(): number {
    // The record is 22 bytes plus a comment of at most 65535 bytes, at the very end.
    const lowest = Math.max(0, this.bytes.length - 22 - 0xffff);
    for (let at = this.bytes.length - 22; at >= lowest; at--) {
      if (this.view.getUint32(at, true) === EOCD_SIGNATURE) return at;
    }
    return this.fail('is not a zip archive (no end-of-central-directory record)');
  }

  private readCentralDirectory(): Map<string, ZipEntry> {
    if (this.bytes.length < 22) this.fail(`is ${this.bytes.length} bytes, too short for a zip archive`);
    const eocd = this.findEndOfCentralDirectory();
    let count = this.u16(eocd + 10);
    let size = this.u32(eocd + 12);
    let offset = this.u32(eocd + 16);
    if ((count === 0xffff || size === 0xffffffff || offset === 0xffffffff) && eocd >= 20) {
      const locator = eocd - 20;
      if (this.u32(locator) === ZIP64_LOCATOR_SIGNATURE) {
        const zip64 = this.u64(locator + 8);
        if (this.u32(zip64) !== ZIP64_EOCD_SIGNATURE) this.fail('zip64 end-of-central-directory record is damaged');
        count = this.u64(zip64 + 32);
        size = this.u64(zip64 + 40);
        offset = this.u64(zip64 + 48);
      }
    }
    if (offset + size > this.bytes.length) this.fail(`zip central directory (${offset} + ${size}) is past the end of the file`);
    const entries = new Map<string, ZipEntry>();
    let at = offset;
    const decoder = new TextDecoder();
    for (let i = 0; i < count; i++) {
      if (this.u32(at) !== CENTRAL_SIGNATURE) this.fail(`zip central directory entry ${i} is damaged`);
      const method = this.u16(at + 10);
      const crc = this.u32(at + 16);
      let compressedSize = this.u32(at + 20);
      let uncompressedSize = this.u32(at + 24);
      const nameLength = this.u16(at + 28);
      const extraLength = this.u16(at + 30);
      const commentLength = this.u16(at + 32);
      let localHeaderOffset = this.u32(at + 42);
      const nameEnd = at + 46 + nameLength;
      if (nameEnd + extraLength > this.bytes.length) this.fail(`zip central directory entry ${i} is past the end of the file`);
      const name = decoder.decode(this.bytes.subarray(at + 46, nameEnd));
      // Zip64 extended information: the 64-bit values of the fields that read 0xffffffff, in order.
      for (let e = nameEnd; e + 4 <= nameEnd + extraLength; ) {
        const id = this.u16(e);
        const len = this.u16(e + 2);
        if (id === 0x0001) {
          let f = e + 4;
          if (uncompressedSize === 0xffffffff) {
            uncompressedSize = this.u64(f);
            f += 8;
          }
          if (compressedSize === 0xffffffff) {
            compressedSize = this.u64(f);
            f += 8;
          }
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = this.u64(f);
        }
        e += 4 + len;
      }
      entries.set(name, { name, method, crc32: crc, compressedSize, uncompressedSize, localHeaderOffset });
      at = nameEnd + extraLength + commentLength;
    }
    return entries;
  }

  /** The bytes of an entry, inflated and CRC-checked. Stored entries are views into the archive. */
  async read(name: string): Promise<Uint8Array> {
    const entry = this.entries.get(name);
    if (!entry) this.fail(`the archive has no entry "${name}"`);
    const local = entry.localHeaderOffset;
    if (this.u32(local) !== LOCAL_SIGNATURE) this.fail(`zip entry "${name}" has a damaged local header`);
    // The local header's own name/extra lengths count (torch pads the extra field to align data).
    const dataStart = local + 30 + this.u16(local + 26) + this.u16(local + 28);
    if (dataStart + entry.compressedSize > this.bytes.length) {
      this.fail(`zip entry "${name}" (${entry.compressedSize} bytes at ${dataStart}) is past the end of the file`);
    }
    const raw = this.bytes.subarray(dataStart, dataStart + entry.compressedSize);
    let data: Uint8Array;
    if (entry.method === 0) data = raw;
    else if (entry.method === 8) data = await decompress(raw, 'deflate-raw', `${this.source} (${name})`);
    else return this.fail(`zip entry "${name}" uses compression method ${entry.method}; only stored and deflate are supported`);
    if (data.length !== entry.uncompressedSize) {
      this.fail(`zip entry "${name}" is ${data.length} bytes, its header says ${entry.uncompressedSize}`);
    }
    if (crc32(data) !== entry.crc32) this.fail(`zip entry "${name}" fails its CRC-32 check (the file is corrupt)`);
    return data;
  }
}
