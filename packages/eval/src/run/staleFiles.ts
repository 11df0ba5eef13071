import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * A temporary file of writeFileAtomic: ".<start of the target's name>.<12 hex digits>.tmp". One is
 * left behind when a run is killed between writing it and renaming it over its target.
 */
const ATOMIC_TEMP_NAME = /^\..*\.[0-9a-f]{12}\.tmp$/;

/** The folders an evaluation writes into: the out folder, classes/, maps/ and each gallery/<class>/. */
async function outputFolders(outDir: string): Promise<string[]> {
  const folders = [outDir, path.join(outDir, 'classes'), path.join(outDir, 'maps')];
  const gallery = path.join(outDir, 'gallery');
  const entries = await readdir(gallery, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) if (entry.isDirectory()) folders.push(path.join(gallery, entry.name));
  return folders;
}

/**
 * Removes the temporary files an interrupted evaluation left in `outDir` (only regular files with
 * writeFileAtomic's naming, only in the folders evaluation writes); returns their paths.
 */
export async function removeStaleTempFiles(outDir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const dir of await outputFolders(outDir)) {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile() || !ATOMIC_TEMP_NAME.test(entry.name)) continue;
      const file = path.join(dir, entry.name);
      await rm(file, { force: true });
      removed.push(file);
    }
  }
  return removed;
}

/** A gallery picture evaluateDataset names: "<highest|lowest>-<k>-<image>.png". */
const GALLERY_PICTURE_NAME = /^(highest|lowest)-\d+-.*\.png$/;

/** Removes the gallery pictures an earlier run left for a class about to be redrawn (other files stay). */
export async function removeGalleryPictures(galleryDir: string): Promise<void> {
  const entries = await readdir(galleryDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isFile() && GALLERY_PICTURE_NAME.test(entry.name)) await rm(path.join(galleryDir, entry.name), { force: true });
  }
}
