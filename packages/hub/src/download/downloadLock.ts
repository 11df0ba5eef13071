import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** How long a lock file without a readable owner may be before it is taken as left behind. */
const UNREADABLE_LOCK_AGE_MS = 10_000;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a lock file was left by a process that is gone (or never finished writing its pid long ago). */
async function isStale(lockFile: string): Promise<boolean> {
  const owner = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(owner) && owner > 0) return !isRunning(owner);
  const st = await stat(lockFile).catch(() => null);
  return st !== null && Date.now() - st.mtimeMs > UNREADABLE_LOCK_AGE_MS;
}

/**
 * Runs `work` while holding `lockFile` (created exclusively, holding this process's pid), so that
 * two pulls of one blob, in this process or another, never write the same `.incomplete` at once:
 * the second waits, then finds the blob there. A lock whose process is gone is taken over. The
 * lock files sit in the cache's `.locks/<repo folder>/` beside huggingface_hub's, under their own
 * names (`<blob id>.aaclip-lock`): huggingface_hub locks with flock, which Node does not offer.
 */
export async function withDownloadLock<T>(lockFile: string, work: () => Promise<T>, onWait?: () => void, pollMs = 200): Promise<T> {
  await mkdir(path.dirname(lockFile), { recursive: true });
  let told = false;
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx');
      try {
        await handle.writeFile(String(process.pid));
      } finally {
        await handle.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await isStale(lockFile)) {
        await rm(lockFile, { force: true });
        continue;
      }
      if (!told) onWait?.();
      told = true;
      await sleep(pollMs);
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockFile, { force: true });
  }
}
