import { AaclipError } from '@aaclip/core';
import { ALLOW_OUTSIDE_ROOT } from '../formats/rootPaths.js';
import { getDataset } from './datasetRegistry.js';

export { ALLOW_OUTSIDE_ROOT } from '../formats/rootPaths.js';

/** Whether the options schema of a registered kind has the option `key`. */
export function datasetTakesOption(kind: string, key: string): boolean {
  const probe = getDataset(kind).factory.optionsSchema.safeParse({ [key]: true });
  return probe.success || !probe.error.issues.some((issue) => issue.code === 'unrecognized_keys' && issue.keys.includes(key));
}

/**
 * The options with `allowOutsideRoot` set, for a command-line flag: list files (JSONL manifest,
 * split CSV) may then name images outside the root. A kind without the option (a folder layout,
 * which only reads what is under the root) fails naming `source`, the flag.
 */
export function allowPathsOutsideRoot(kind: string, options: Readonly<Record<string, unknown>>, source: string): Record<string, unknown> {
  if (!datasetTakesOption(kind, ALLOW_OUTSIDE_ROOT)) {
    throw new AaclipError(`the "${getDataset(kind).name}" kind reads no list of paths, so nothing can be outside its root (the option is for jsonl and visa)`, source);
  }
  return { ...options, [ALLOW_OUTSIDE_ROOT]: true };
}
