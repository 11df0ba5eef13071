import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { utf8Prefix } from './fileNames.js';

/** The most UTF-8 bytes of the target's name a temporary name keeps (a name may have 255 bytes in all). */
const TEMP_NAME_PREFIX_BYTES = 64;

/**
 * A hidden temporary name beside `file`, at most 64 + 18 bytes long whatever the target's
 * length: a target with a legal 255-byte name must still get a legal temporary name.
 */
export function temporaryNameFor(file: string): string {
  const prefix = utf8Prefix(path.basename(file), TEMP_NAME_PREFIX_BYTES);
  return path.join(path.dirname(file), `.${prefix}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Writes a file so that readers see either the old file or the complete new one, never a part:
 * the bytes go to a temporary file in the same folder, which is then renamed over the target.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = temporaryNameFor(file);
  try {
    await writeFile(temp, data, { flag: 'wx' }); // wx: never through an existing entry (a planted link)
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
