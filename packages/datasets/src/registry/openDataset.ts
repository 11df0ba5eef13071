import path from 'node:path';
import { AaclipError } from '@aaclip/core';
import type { z } from 'zod';
import { checkSampleImages, type ImageCheckOptions } from '../check/checkSampleImages.js';
import type { DatasetProblem } from '../check/datasetProblem.js';
import type { Dataset, DatasetReading } from './datasetFactory.js';
import { getDataset } from './datasetRegistry.js';

/** A dataset together with every structural problem met while reading it. */
export interface DatasetScan {
  readonly dataset: Dataset;
  readonly problems: readonly DatasetProblem[];
}

/** Validates user options against a format's schema; the error names the option at fault. */
export function parseDatasetOptions<Schema extends z.ZodType>(
  kind: string,
  schema: Schema,
  options: unknown,
): z.output<Schema> {
  const result = schema.safeParse(options ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join('.');
  throw new AaclipError(issue.message, field ? `${kind} option "${field}"` : `${kind} options`);
}

/**
 * Reads a dataset of a registered kind and returns it with every problem found, without failing
 * on them. Only the file tree is read unless `check.images` asks for headers or pixels too (as
 * `aaclip datasets check` does). Unknown kinds and invalid options still throw.
 */
export async function scanDataset(kind: string, root: string, options?: unknown, check: ImageCheckOptions = {}): Promise<DatasetScan> {
  const { name, factory } = getDataset(kind);
  const parsed = parseDatasetOptions(name, factory.optionsSchema, options);
  const absoluteRoot = path.resolve(root);
  const reading: DatasetReading = await factory.read(absoluteRoot, parsed);
  const dataset: Dataset = {
    kind: name,
    root: absoluteRoot,
    domain: reading.domain,
    classes: reading.classes,
    samples: reading.samples,
    promptName: (className) => reading.promptName(className),
  };
  const missing = new Set(reading.problems.filter((p) => p.kind === 'missing-file').map((p) => p.file));
  const imageProblems = await checkSampleImages(reading.samples, { ...check, images: check.images ?? 'none' }, missing);
  return { dataset, problems: distinctProblems([...reading.problems, ...imageProblems]) };
}

/** The problems without repeats (a folder read twice, e.g. a class folder given as the root, reports once). */
function distinctProblems(problems: readonly DatasetProblem[]): DatasetProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = JSON.stringify([p.kind, p.file, p.problem]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Reads a dataset of a registered kind. Any problem — a missing mask, a bad manifest line, an
 * empty class, and with `check.images` 'headers' or 'pixels' also an unreadable image or a mask
 * of the wrong size — fails with an AaclipError naming the first file at fault; nothing is
 * skipped. By default the images themselves are not opened: a batch job decodes them and lists
 * the ones it cannot read.
 */
export async function loadDataset(kind: string, root: string, options?: unknown, check: ImageCheckOptions = {}): Promise<Dataset> {
  const { dataset, problems } = await scanDataset(kind, root, options, check);
  throwOnProblems(problems);
  return dataset;
}

/** Throws the first problem as an AaclipError that also says how many more there are. */
export function throwOnProblems(problems: readonly DatasetProblem[]): void {
  const first = problems[0];
  if (!first) return;
  const more = problems.length - 1;
  const suffix = more > 0 ? ` (and ${more} more problem${more === 1 ? '' : 's'}; \`aaclip datasets check\` lists them)` : '';
  throw new AaclipError(`${first.problem}${suffix}`, first.file);
}
