import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** The largest list file (JSONL manifest, split CSV) read: far above a million lines. */
export const MAX_LIST_FILE_BYTES = 256 * 1024 * 1024;

/**
 * The text of a list file, or the reason it cannot be read. Only a regular file is read, and only
 * up to MAX_LIST_FILE_BYTES: it is opened non-blocking and checked before any byte is read, so a
 * named pipe or a device (/dev/zero) is refused instead of hanging or filling memory.
 */
export async function readListFile(file: string): Promise<{ readonly text: string } | { readonly missing: boolean; readonly reason: string }> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return { missing: code === 'ENOENT', reason: code };
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return { missing: false, reason: info.isDirectory() ? 'a folder, not a file' : 'not a regular file' };
    if (info.size > MAX_LIST_FILE_BYTES) {
      return { missing: false, reason: `${info.size} bytes, more than the ${MAX_LIST_FILE_BYTES} a list file may have` };
    }
    const text = await handle.readFile('utf8');
    if (text.length > MAX_LIST_FILE_BYTES) return { missing: false, reason: `grew past ${MAX_LIST_FILE_BYTES} bytes while read` };
    return { text };
  } catch (err) {
    return { missing: false, reason: (err as NodeJS.ErrnoException).code ?? String(err) };
  } finally {
    await handle.close();
  }
}
