// A minimal, read-only zip reader for torch.save checkpoints: the central directory (zip64 too),
// stored and deflated entries, CRC-32 checked. Every offset and size is bounds-checked, entries may
// neither share nor overlap their bytes (the trick of "overlapping" zip bombs), and what deflated
// entries inflate to is capped twice: by each entry's declared size and by a budget for the archive.
// Nothing is ever extracted to disk; still, an entry whose name would leave the archive's folder
// (absolute, "..", a drive or backslash, NUL) marks a crafted file and is refused.
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
  /** Where the entry's (compressed) bytes start: after its local header's name and extra field. */
  dataOffset: number;
}

/**
 * Deflated entries of one archive may inflate to at most this many times the archive's size in all
 * (or EXPANSION_FLOOR, when that is more). torch.save stores its entries uncompressed, and weights
 * deflate by about 1.1×, so 32× leaves ample room for zero-filled buffers while a 1 MB file can no
 * longer ask for gigabytes (deflate reaches 1032×).
 */
export const MAX_EXPANSION_RATIO = 32;
/** The inflation budget of a small archive: 64 MiB, so small checkpoints with zero tensors still load. */
export const EXPANSION_FLOOR = 64 * 1024 * 1024;

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

/** True for an entry name that is absolute, climbs out with "..", names a drive, uses "\\" or holds NUL. */
export function escapesFolder(name: string): boolean {
  if (name.length === 0 || name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.includes('\\') || name.includes('\0')) return true;
  return name.split('/').some((part) => part === '..');
}

export class ZipArchive {
  readonly entries: ReadonlyMap<string, ZipEntry>;
  private readonly view: DataView;
  /** Bytes that deflated entries may still inflate to (see MAX_EXPANSION_RATIO). */
  private inflationLeft: number;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly source: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.entries = this.readCentralDirectory();
    this.refuseOverlaps();
    this.inflationLeft = Math.max(EXPANSION_FLOOR, MAX_EXPANSION_RATIO * bytes.length);
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
      if (escapesFolder(name)) this.fail(`zip entry name ${JSON.stringify(name.slice(0, 120))} escapes the archive's folder (a crafted archive)`);
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
      if (entries.has(name)) this.fail(`zip central directory lists "${name}" twice`);
      if (method === 0 && compressedSize !== uncompressedSize) {
        this.fail(`zip entry "${name}" is stored uncompressed but declares ${compressedSize} bytes stored and ${uncompressedSize} unpacked`);
      }
      // The local header's own name/extra lengths count (torch pads the extra field to align data).
      if (this.u32(localHeaderOffset) !== LOCAL_SIGNATURE) this.fail(`zip entry "${name}" has a damaged local header`);
      const dataOffset = localHeaderOffset + 30 + this.u16(localHeaderOffset + 26) + this.u16(localHeaderOffset + 28);
      if (dataOffset + compressedSize > this.bytes.length) {
        this.fail(`zip entry "${name}" (${compressedSize} bytes at ${dataOffset}) is past the end of the file`);
      }
      entries.set(name, { name, method, crc32: crc, compressedSize, uncompressedSize, localHeaderOffset, dataOffset });
      at = nameEnd + extraLength + commentLength;
    }
    return entries;
  }

  /** Each entry's local header and data must own their bytes: no two entries may share or overlap them. */
  private refuseOverlaps(): void {
    const spans = [...this.entries.values()].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
    for (let i = 1; i < spans.length; i++) {
      const before = spans[i - 1]!;
      const entry = spans[i]!;
      if (entry.localHeaderOffset < before.dataOffset + before.compressedSize) {
        this.fail(`zip entries "${before.name}" and "${entry.name}" overlap (their bytes are shared, as in a zip bomb)`);
      }
    }
  }

  /**
   * The bytes of an entry, inflated and CRC-checked. Stored entries are views into the archive (they
   * cost no memory); a deflated entry is refused before any inflating when it declares more than
   * `maxInflated` bytes (what its caller needs of it) or more than the archive's inflation budget
   * has left, and refused as soon as it inflates past its declared size.
   */
  async read(name: string, maxInflated: number): Promise<Uint8Array> {
    const entry = this.entries.get(name);
    if (!entry) return this.fail(`the archive has no entry "${name}"`);
    const raw = this.bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
    let data: Uint8Array;
    if (entry.method === 0) data = raw;
    else if (entry.method === 8) {
      if (entry.uncompressedSize > maxInflated) {
        this.fail(`zip entry "${name}" declares ${entry.uncompressedSize} bytes, more than the ${maxInflated} it may hold`);
      }
      if (entry.uncompressedSize > this.inflationLeft) {
        this.fail(
          `zip entry "${name}" would inflate ${entry.compressedSize} bytes to ${entry.uncompressedSize}, past the archive's budget ` +
            `(${MAX_EXPANSION_RATIO}× its size, at least ${EXPANSION_FLOOR} bytes, in all; a likely zip bomb)`,
        );
      }
      this.inflationLeft -= entry.uncompressedSize;
      data = await decompress(raw, 'deflate-raw', `${this.source} (${name})`, entry.uncompressedSize);
    } else return this.fail(`zip entry "${name}" uses compression method ${entry.method}; only stored and deflate are supported`);
    if (data.length !== entry.uncompressedSize) {
      this.fail(`zip entry "${name}" is ${data.length} bytes, its header says ${entry.uncompressedSize}`);
    }
    if (crc32(data) !== entry.crc32) this.fail(`zip entry "${name}" fails its CRC-32 check (the file is corrupt)`);
    return data;
  }
}
