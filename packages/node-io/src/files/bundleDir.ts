// Bundles on disk: telling a bundle folder from a model folder, opening one (every file checked
// against the manifest's size and sha256 before use), and writing one atomically (built in a
// hidden folder beside the target, renamed into place at the end).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AaclipError, BUNDLE_MANIFEST_FILE, openBundle, parseBundleManifest, type BundleContents, type BundleManifest, type OpenedBundle, type Sha256Function } from '@aaclip/core';
import { readRegularFile } from './readRegularFile.js';
import { utf8Prefix } from './fileNames.js';

/** SHA-256 with node:crypto (no copy of the bytes, unlike Web Crypto). */
export const nodeSha256: Sha256Function = async (bytes) => createHash('sha256').update(bytes).digest('hex');

/** Whether `dir` is a folder holding a bundle manifest (aaclip-bundle.json). */
export async function isBundleDir(dir: string): Promise<boolean> {
  return stat(path.join(dir, BUNDLE_MANIFEST_FILE)).then((s) => s.isFile(), () => false);
}

/** The manifest of the bundle in `dir`, parsed and checked (its files are not read). */
export async function readBundleManifest(dir: string): Promise<BundleManifest> {
  const file = path.join(dir, BUNDLE_MANIFEST_FILE);
  return parseBundleManifest(await readRegularFile(file, 'model config'), file);
}

/**
 * Opens the bundle in `dir`: the manifest, then every file it lists, each a regular file of the
 * listed size (checked before it is read) whose sha256 matches; see openBundle.
 */
export async function openBundleDir(dir: string, onFile?: (file: string, index: number, count: number, size: number) => void): Promise<OpenedBundle> {
  const manifest = await readRegularFile(path.join(dir, BUNDLE_MANIFEST_FILE), 'model config');
  const read = async (name: string, size: number): Promise<Uint8Array> => {
    const file = path.join(dir, name);
    const st = await stat(file).catch(() => null);
    if (st?.isFile() && st.size !== size) throw new AaclipError(`is ${st.size} bytes, the bundle manifest says ${size}: the file was changed or cut short`, file);
    return readRegularFile(file, 'data');
  };
  return openBundle(manifest, read, { source: dir, sha256: nodeSha256, ...(onFile ? { onFile } : {}) });
}

/**
 * Checks that a bundle may be written to `out` before any work: `out` must not exist, be an empty
 * folder, or (with `force`) be a folder to replace. Refusals are AaclipErrors naming `flag`.
 */
export async function checkBundleTarget(out: string, force: boolean, flag = '--out'): Promise<void> {
  const st = await stat(out).catch(() => null);
  if (!st) return;
  if (!st.isDirectory()) throw new AaclipError(`${out} exists and is not a folder`, flag);
  if (!force && (await readdir(out)).length > 0) throw new AaclipError(`${out} is not empty (give --force to replace it)`, flag);
}

/**
 * Writes a bundle as the folder `out`, atomically: the files (the manifest last) go into a hidden
 * folder beside `out`, which then replaces `out` (an empty folder, or any folder with `force`).
 * Nothing is left half-written: on failure the hidden folder is removed and `out` is unchanged.
 */
export async function writeBundleDir(
  out: string,
  contents: BundleContents,
  options: { readonly force?: boolean; readonly onFile?: (file: string, index: number, count: number) => void } = {},
): Promise<void> {
  await checkBundleTarget(out, options.force ?? false);
  const target = path.resolve(out);
  const parent = path.dirname(target);
  await mkdir(parent, { recursive: true });
  const hidden = (what: string): string => path.join(parent, `.${utf8Prefix(path.basename(target), 64)}.${randomBytes(6).toString('hex')}.${what}`);
  const temp = hidden('tmp');
  await mkdir(temp);
  try {
    const count = contents.files.length + 1;
    for (const [i, file] of contents.files.entries()) {
      options.onFile?.(file.path, i, count);
      await writeFile(path.join(temp, path.basename(file.path)), file.data, { flag: 'wx' });
    }
    options.onFile?.(BUNDLE_MANIFEST_FILE, count - 1, count);
    await writeFile(path.join(temp, BUNDLE_MANIFEST_FILE), JSON.stringify(contents.manifest, null, 2) + '\n', { flag: 'wx' });
    await checkBundleTarget(out, options.force ?? false); // nothing appeared meanwhile
    const existing = await stat(target).catch(() => null);
    if (!existing) {
      await rename(temp, target);
      return;
    }
    // Replace: the old folder moves aside, the new one takes its name, then the old one goes.
    const old = hidden('old');
    await rename(target, old);
    try {
      await rename(temp, target);
    } catch (err) {
      await rename(old, target);
      throw err;
    }
    await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
}
