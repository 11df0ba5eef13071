import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { datasetProblem, type DatasetProblem } from '../check/datasetProblem.js';

/** File extensions read as images (compared lower-cased). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp'];

export function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

/** The file name without its extension: "000_mask.png" → "000_mask". */
export function fileStem(name: string): string {
  const base = path.basename(name);
  return base.slice(0, base.length - path.extname(base).length);
}

const collator = new Intl.Collator('en', { numeric: true });

/** Natural order ("2.png" before "10.png"), the same on every machine. */
export function compareNames(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

export type FolderListing =
  | { readonly ok: true; readonly files: readonly string[]; readonly folders: readonly string[] }
  | { readonly ok: false; readonly missing: boolean; readonly reason: string };

/** What a directory entry that is neither a file nor a folder is, for a problem line. */
function specialKind(entry: { isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (entry.isFIFO()) return 'a named pipe (FIFO)';
  if (entry.isCharacterDevice()) return 'a character device';
  if (entry.isBlockDevice()) return 'a block device';
  if (entry.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The names of a folder's files and sub-folders, naturally sorted. Hidden entries (".DS_Store",
 * ".git") are left out; symbolic links count as what they point to. Special files (named pipes,
 * devices, sockets) are never listed: reading one could hang or never end, so each is reported
 * into `problems` instead (when given).
 */
export async function listFolder(dir: string, problems?: DatasetProblem[]): Promise<FolderListing> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, missing: true, reason: 'no such folder' };
    if (code === 'ENOTDIR') return { ok: false, missing: true, reason: 'not a folder' };
    return { ok: false, missing: false, reason: `cannot read the folder (${code ?? String(err)})` };
  }
  const files: string[] = [];
  const folders: string[] = [];
  const special: { name: string; kind: string }[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isSymbolicLink()) {
      const target = await stat(path.join(dir, entry.name)).catch(() => null);
      if (target === null || target.isFile()) files.push(entry.name); // a dangling link is reported later as a missing file
      else if (target.isDirectory()) folders.push(entry.name);
      else special.push({ name: entry.name, kind: `a link to ${specialKind(target)}` });
    } else if (entry.isDirectory()) folders.push(entry.name);
    else if (entry.isFile()) files.push(entry.name);
    else special.push({ name: entry.name, kind: specialKind(entry) });
  }
  for (const { name, kind } of special.sort((a, b) => compareNames(a.name, b.name))) {
    problems?.push(datasetProblem('special-file', path.join(dir, name), `${kind}, not a regular file; it is never read`));
  }
  files.sort(compareNames);
  folders.sort(compareNames);
  return { ok: true, files, folders };
}

/** Whether a path is an existing folder. */
export async function isFolder(dir: string): Promise<boolean> {
  const s = await stat(dir).catch(() => null);
  return s?.isDirectory() ?? false;
}

/** Whether a path is an existing file. */
export async function isFile(file: string): Promise<boolean> {
  const s = await stat(file).catch(() => null);
  return s?.isFile() ?? false;
}

/**
 * The image files of a folder (absolute paths, natural order). Anything else in it — a file
 * with another extension, a sub-folder, a special file — is reported, not skipped; so is a
 * missing folder unless `optional`.
 */
export async function listImages(
  dir: string,
  problems: DatasetProblem[],
  { optional = false }: { optional?: boolean } = {},
): Promise<string[]> {
  const listing = await listFolder(dir, problems);
  if (!listing.ok) {
    if (!(optional && listing.missing)) problems.push(datasetProblem('missing-folder', dir, listing.reason));
    return [];
  }
  for (const name of listing.folders) {
    problems.push(datasetProblem('unexpected-entry', path.join(dir, name), 'unexpected folder among the images'));
  }
  const images: string[] = [];
  for (const name of listing.files) {
    if (isImageName(name)) images.push(path.join(dir, name));
    else problems.push(datasetProblem('unexpected-entry', path.join(dir, name), `not an image file (expected ${IMAGE_EXTENSIONS.join(' ')})`));
  }
  return images;
}
