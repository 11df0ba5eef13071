import { escapeControlCharacters } from '@aaclip/core';

/** What can be wrong with a dataset on disk. */
export type DatasetProblemKind =
  | 'missing-folder'
  | 'missing-file'
  | 'missing-mask'
  | 'orphan-mask'
  | 'unexpected-entry'
  | 'special-file'
  | 'path-outside-root'
  | 'unreadable-file'
  | 'mask-size-mismatch'
  | 'empty-mask'
  | 'empty-class'
  | 'bad-manifest-line'
  | 'bad-csv-row';

/** One problem found in a dataset, naming the file (or folder, or `file:line`) at fault. */
export interface DatasetProblem {
  readonly kind: DatasetProblemKind;
  readonly file: string;
  readonly problem: string;
}

export function datasetProblem(kind: DatasetProblemKind, file: string, problem: string): DatasetProblem {
  return { kind, file, problem };
}

/**
 * "file: problem" on one line, like every AaclipError: control characters are escaped, since both
 * parts may come from a list file (a path holding a newline, JSON.parse quoting a NUL).
 */
export function formatDatasetProblem(p: DatasetProblem): string {
  return `${escapeControlCharacters(p.file)}: ${escapeControlCharacters(p.problem)}`;
}
