import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '@aaclip/node-io';
import type { RepoCacheLayout } from './cacheLayout.js';

/**
 * Points `snapshots/<commit>/<file>` at its blob with a relative symbolic link, as huggingface_hub
 * does (the cache can be moved). The link is made under a temporary name and renamed over the
 * entry, so a reader sees the old entry or the new one. Where links cannot be made (Windows
 * without the privilege), the blob is copied instead, as huggingface_hub does there.
 */
export async function linkSnapshotFile(layout: RepoCacheLayout, commit: string, file: string, blobId: string): Promise<string> {
  const pointer = layout.snapshotFile(commit, file);
  const blob = layout.blob(blobId);
  await mkdir(path.dirname(pointer), { recursive: true });
  const temp = path.join(path.dirname(pointer), `.${randomBytes(6).toString('hex')}.link.tmp`);
  try {
    try {
      await symlink(path.relative(path.dirname(pointer), blob), temp);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
      await copyFile(blob, temp);
    }
    await rename(temp, pointer);
  } finally {
    await rm(temp, { force: true });
  }
  return pointer;
}

/** Records that `revision` (a branch or tag) is at `commit`: `refs/<revision>` holds the hash, no newline. */
export async function writeRef(layout: RepoCacheLayout, revision: string, commit: string): Promise<void> {
  if (revision === commit) return;
  const file = layout.ref(revision);
  const current = await readFile(file, 'utf8').catch(() => null);
  if (current?.trim() !== commit) await writeFileAtomic(file, commit);
}

/** The commit `refs/<revision>` holds, or null. */
export async function readRef(layout: RepoCacheLayout, revision: string): Promise<string | null> {
  const text = await readFile(layout.ref(revision), 'utf8').catch(() => null);
  return text?.trim() || null;
}
