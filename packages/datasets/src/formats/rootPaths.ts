import path from 'node:path';
import { z } from 'zod';
import { datasetProblem, type DatasetProblem } from '../check/datasetProblem.js';

/**
 * `allowOutsideRoot`: let a list file (JSONL manifest, split CSV) name images and masks outside
 * the dataset root ("../../x.png", "/abs/x.png"). Off by default, so that a downloaded list file
 * cannot make a command read arbitrary files; the CLI's `--allow-outside-root` sets it.
 */
export const allowOutsideRootOption = z.boolean().default(false);

/** The option's name, for callers that set it from a flag. */
export const ALLOW_OUTSIDE_ROOT = 'allowOutsideRoot';

/** Whether an absolute path lies inside `root` (compared by path text; links are not followed). */
export function isInsideRoot(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

/**
 * Resolves a path a list file gives (relative to the root, or absolute). One that leaves the root
 * is a problem naming the list's line, and null is returned, unless `allowOutside`.
 */
export function resolveListedPath(
  root: string,
  listed: string,
  field: string,
  where: string,
  allowOutside: boolean,
  problems: DatasetProblem[],
): string | null {
  const resolved = path.resolve(root, listed);
  if (allowOutside || isInsideRoot(root, resolved)) return resolved;
  problems.push(
    datasetProblem('path-outside-root', where, `${field} ${JSON.stringify(listed)} is outside the dataset root ${root} (allow it with the option ${ALLOW_OUTSIDE_ROOT}, --allow-outside-root on the command line)`),
  );
  return null;
}
