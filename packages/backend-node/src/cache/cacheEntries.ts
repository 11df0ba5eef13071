import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { fileCrc32 } from './fileChecksum.js';

const MANIFEST = 'manifest.json';
const FORMAT = 'aaclip-cache-entry-1';

interface EntryManifest {
  readonly format: string;
  readonly key: string;
  /** What the key was made from, for people looking into the cache. */
  readonly parts: unknown;
  readonly files: Record<string, { readonly size: number; readonly crc32: number }>;
}

/** Why an entry is not used: absent, or damaged (and removed). */
export interface EntryMiss {
  readonly ok: false;
  readonly reason: 'absent' | 'corrupt';
  readonly detail?: string;
}
/** A sound entry's folder, or why there is none. */
export type EntryCheck = { readonly ok: true; readonly dir: string } | EntryMiss;
/** An entry whose sizes match, with the checksum check still to await (see openUnverified). */
export type UnverifiedEntry = { readonly ok: true; readonly dir: string; verify(): Promise<boolean> } | EntryMiss;

/**
 * A folder of cache entries, one subfolder per key. An entry's files are written into a hidden
 * temporary folder, their sizes and CRC-32s recorded in its manifest, and the folder renamed into
 * place: readers see a whole entry or none. Opening an entry checks every file against the
 * manifest; a damaged one (truncated, altered, a file missing, a bad manifest) is removed and
 * reported as such, never used.
 */
export class CacheEntries {
  constructor(readonly root: string) {}

  private dirOf(key: string): string {
    if (!/^[0-9a-f]{16,128}$/.test(key)) throw new Error(`cache key "${key}" is not a hex digest`);
    return path.join(this.root, key);
  }

  /** The entry's folder when it exists and every file matches its manifest. */
  async open(key: string): Promise<EntryCheck> {
    const found = await this.openUnverified(key);
    if (!found.ok) return found;
    return (await found.verify()) ? { ok: true, dir: found.dir } : { ok: false, reason: 'corrupt', detail: 'a file does not match its checksum' };
  }

  /**
   * The entry's folder when it exists and every file has its manifest's size, with `verify()`,
   * which checks the CRC-32s on a worker thread (so that a caller can load the files meanwhile)
   * and removes the entry when one differs. Nothing read from the entry may be used before
   * `verify()` resolved true.
   */
  async openUnverified(key: string): Promise<UnverifiedEntry> {
    const dir = this.dirOf(key);
    let manifest: EntryManifest;
    try {
      manifest = JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8')) as EntryManifest;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !(await exists(dir))) return { ok: false, reason: 'absent' };
      return this.discard(dir, 'its manifest is missing or not JSON');
    }
    if (manifest?.format !== FORMAT || manifest.key !== key || typeof manifest.files !== 'object' || manifest.files === null) {
      return this.discard(dir, 'its manifest is not an entry of this key');
    }
    const files: { file: string; crc32: number }[] = [];
    for (const [name, expected] of Object.entries(manifest.files)) {
      const file = path.join(dir, path.basename(name));
      const st = await stat(file).catch(() => null);
      if (!st?.isFile()) return this.discard(dir, `${name} is missing`);
      if (st.size !== expected.size) return this.discard(dir, `${name} has ${st.size} bytes, the manifest says ${expected.size}`);
      files.push({ file, crc32: expected.crc32 });
    }
    const verify = async (): Promise<boolean> => {
      const sums = await crc32OnWorker(files.map((f) => f.file)).catch(() => null);
      if (sums && sums.every((crc, i) => crc === files[i]!.crc32)) return true;
      await this.discard(dir, 'a file does not match its checksum');
      return false;
    };
    return { ok: true, dir, verify };
  }

  private async discard(dir: string, detail: string): Promise<EntryMiss> {
    await rm(dir, { recursive: true, force: true });
    return { ok: false, reason: 'corrupt', detail };
  }

  /**
   * Makes the entry: `fill` writes its files into the folder it is given; then the manifest is
   * written and the folder renamed into place. Should another process have made the same entry
   * meanwhile, theirs is kept. Returns the entry's folder.
   */
  async write(key: string, parts: unknown, fill: (dir: string) => Promise<void>): Promise<string> {
    const dir = this.dirOf(key);
    await mkdir(this.root, { recursive: true });
    const temp = path.join(this.root, `.tmp-${key.slice(0, 16)}-${randomBytes(6).toString('hex')}`);
    await mkdir(temp);
    try {
      await fill(temp);
      const files: EntryManifest['files'] = {};
      for (const name of (await readdir(temp)).sort()) {
        const file = path.join(temp, name);
        files[name] = { size: (await stat(file)).size, crc32: await fileCrc32(file) };
      }
      const manifest: EntryManifest = { format: FORMAT, key, parts, files };
      await writeFile(path.join(temp, MANIFEST), JSON.stringify(manifest, null, 1) + '\n');
      await rm(dir, { recursive: true, force: true }); // a damaged one the caller chose to replace
      try {
        await rename(temp, dir);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err; // made by another process meanwhile: keep theirs
      }
      return dir;
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }

  /** Removes an entry (e.g. one whose files the runtime then refused). */
  async remove(key: string): Promise<void> {
    await rm(this.dirOf(key), { recursive: true, force: true });
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

// CRC-32 of files on a worker thread (plain CommonJS, so it runs from sources and builds alike).
const CRC_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const zlib = require('node:zlib');
const buffer = Buffer.allocUnsafe(8 * 1024 * 1024);
const sums = workerData.map((file) => {
  const fd = fs.openSync(file, 'r');
  try {
    let crc = 0;
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) return crc;
      crc = zlib.crc32(buffer.subarray(0, n), crc);
    }
  } finally {
    fs.closeSync(fd);
  }
});
parentPort.postMessage(sums);
`;

function crc32OnWorker(files: readonly string[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(CRC_WORKER, { eval: true, workerData: files });
    worker.once('message', (sums: number[]) => resolve(sums));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`checksum worker exited with ${code}`));
    });
  });
}
