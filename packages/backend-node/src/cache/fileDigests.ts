import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { AaclipError } from '@aaclip/core';
import { writeFileAtomic } from '@aaclip/node-io';
import { bytesSha256, fileSha256 } from './fileChecksum.js';

interface DigestRecord {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly ino: number;
  readonly sha256: string;
}

const isRecord = (v: unknown): v is DigestRecord => {
  const r = v as Partial<DigestRecord> | null;
  return (
    typeof r === 'object' && r !== null &&
    typeof r.size === 'number' && typeof r.mtimeMs === 'number' && typeof r.ctimeMs === 'number' && typeof r.ino === 'number' &&
    typeof r.sha256 === 'string' && /^[0-9a-f]{64}$/.test(r.sha256)
  );
};

/**
 * SHA-256 digests of files (the weights a cached graph was made from), each computed once and
 * remembered in an index file by absolute path, size, inode, modification and change time: a
 * file rewritten, replaced or touched is hashed again. (The change time cannot be set back by
 * ordinary tools, so a file edited in place and given its old mtime is still noticed.) An
 * unreadable or malformed index is ignored and rewritten.
 */
export class FileDigests {
  private records: Map<string, DigestRecord> | null = null;

  /** `indexFile`: where digests are remembered; null remembers them for this process only. */
  constructor(private readonly indexFile: string | null) {}

  private async load(): Promise<Map<string, DigestRecord>> {
    if (this.records) return this.records;
    this.records = new Map();
    if (this.indexFile) {
      try {
        const json = JSON.parse(await readFile(this.indexFile, 'utf8')) as unknown;
        if (json && typeof json === 'object') {
          for (const [file, record] of Object.entries(json)) if (isRecord(record)) this.records.set(file, record);
        }
      } catch {
        // no index yet, or a damaged one: start afresh
      }
    }
    return this.records;
  }

  /** Whether `file`'s digest is remembered for the file as it is now (digest() will not read it). */
  async known(file: string): Promise<boolean> {
    const absolute = path.resolve(file);
    const known = (await this.load()).get(absolute);
    const st = await stat(absolute).catch(() => null);
    return Boolean(known && st && known.size === st.size && known.mtimeMs === st.mtimeMs && known.ctimeMs === st.ctimeMs && known.ino === st.ino);
  }

  /**
   * The SHA-256 of `file`. `bytes`, when given, are the file's contents already read (hashed
   * instead of reading the file again).
   */
  async digest(file: string, bytes?: Uint8Array): Promise<string> {
    const absolute = path.resolve(file);
    const records = await this.load();
    const st = await stat(absolute).catch((err: NodeJS.ErrnoException) => {
      throw new AaclipError(err.code === 'ENOENT' ? 'no such file' : `cannot read the file (${err.code ?? String(err)})`, file);
    });
    const known = records.get(absolute);
    if (known && known.size === st.size && known.mtimeMs === st.mtimeMs && known.ctimeMs === st.ctimeMs && known.ino === st.ino) return known.sha256;
    const sha256 = bytes && bytes.byteLength === st.size ? bytesSha256(bytes) : await fileSha256(absolute);
    records.set(absolute, { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, sha256 });
    if (this.indexFile) {
      // A cache that cannot be written is no reason to fail the run.
      await writeFileAtomic(this.indexFile, JSON.stringify(Object.fromEntries(records), null, 1) + '\n').catch(() => {});
    }
    return sha256;
  }
}
