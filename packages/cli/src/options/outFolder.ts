import { mkdtemp, realpath, rmdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { AaclipError } from '@aaclip/core';

const statOrNull = (p: string): Promise<Stats | null> => stat(p).catch(() => null);

const sameEntry = (a: Stats, b: Stats): boolean => a.dev === b.dev && a.ino === b.ino;

/** The nearest of `dir` and its parents that exists, with its stats. */
async function nearestExisting(dir: string): Promise<{ dir: string; stats: Stats }> {
  let current = path.resolve(dir);
  for (;;) {
    const stats = await statOrNull(current);
    if (stats) return { dir: current, stats };
    const parent = path.dirname(current);
    if (parent === current) throw new AaclipError(`${dir} has no existing parent folder`, '--out');
    current = parent;
  }
}

/**
 * The folders an input lives in: the one its path names, and the one its real file lies in when
 * the path is a link. Writing into either could replace the input.
 */
async function inputFolders(input: string): Promise<Stats[]> {
  const folders = [await statOrNull(path.dirname(path.resolve(input)))];
  const real = await realpath(input).catch(() => null);
  if (real) folders.push(await statOrNull(path.dirname(real)));
  return folders.filter((s): s is Stats => s !== null);
}

/**
 * Checks an output folder before any work, so that a run never does its work only to fail at the
 * end, and never writes over its inputs: `out` must be a folder or creatable as one, writable
 * (tried by creating and removing an empty folder in it, or in the parent it will be made in), and
 * must not directly hold any of `inputs` (outputs are written directly in it, so one could take an
 * input's name). Every refusal is an AaclipError naming `flag`.
 */
export async function checkOutFolder(out: string, inputs: readonly string[] = [], flag = '--out'): Promise<void> {
  const existing = await nearestExisting(out).catch((err: unknown) => {
    throw err instanceof AaclipError ? new AaclipError(err.problem, flag) : err;
  });
  const isOut = existing.dir === path.resolve(out);
  if (!existing.stats.isDirectory()) {
    throw new AaclipError(isOut ? `${out} is a file, not a folder` : `${out} cannot be created: ${existing.dir} is a file`, flag);
  }
  try {
    await rmdir(await mkdtemp(path.join(existing.dir, '.aaclip-write-check-')));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new AaclipError(isOut ? `${out} is not writable (${code})` : `${out} cannot be created in ${existing.dir} (${code})`, flag);
  }
  if (!isOut) return; // a folder still to be made holds nothing yet
  for (const input of inputs) {
    for (const folder of await inputFolders(input)) {
      if (sameEntry(folder, existing.stats)) {
        throw new AaclipError(`${out} holds the input ${input}; outputs written there could replace inputs, so choose another folder`, flag);
      }
    }
  }
}
