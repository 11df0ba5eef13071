import path from 'node:path';
import { MAX_FILE_NAME_BYTES, utf8Prefix } from '@aaclip/backend-node/node-io';

const HEATMAP_EXTENSION = '.png';

/** "<base><suffix>.png", the base cut (never mid-character) so the whole name is a legal file name. */
function fittedName(base: string, suffix: string): string {
  const tail = `${suffix}${HEATMAP_EXTENSION}`;
  return `${utf8Prefix(base, MAX_FILE_NAME_BYTES - Buffer.byteLength(tail, 'utf8'))}${tail}`;
}

/**
 * Distinct heatmap file names: "<base>.png", then "<base>-2.png", "<base>-3.png", … when names
 * collide — compared without case, as case-insensitive file systems would. A base too long for
 * the file system is cut to fit.
 */
export function heatmapNames(images: readonly string[]): string[] {
  const used = new Set<string>();
  return images.map((image) => {
    const base = path.basename(image, path.extname(image)) || 'image';
    let name = fittedName(base, '');
    for (let n = 2; used.has(name.toLowerCase()); n++) name = fittedName(base, `-${n}`);
    used.add(name.toLowerCase());
    return name;
  });
}

/** The key safetensors reserves for its metadata; no tensor may be named so. */
const SAFETENSORS_METADATA_KEY = '__metadata__';

/**
 * The key of an image's map in maps.safetensors: the path as given, except that a path given as
 * `__metadata__` is keyed `./__metadata__` — the same file, and no other input can have that key,
 * since inputs are deduplicated by the file they name.
 */
export function mapKey(image: string): string {
  return image === SAFETENSORS_METADATA_KEY ? `./${image}` : image;
}

/** The inputs once each, by the file they name (`a.png` and `./a.png` are one), keeping the first spelling. */
export function distinctInputs(images: readonly string[]): { unique: string[]; repeated: string[] } {
  const seen = new Set<string>();
  const unique: string[] = [];
  const repeated: string[] = [];
  for (const image of images) {
    const key = path.resolve(image);
    if (seen.has(key)) repeated.push(image);
    else {
      seen.add(key);
      unique.push(image);
    }
  }
  return { unique, repeated };
}
