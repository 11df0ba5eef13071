import path from 'node:path';
import { AaclipError } from '@aaclip/core';
import type { z } from 'zod';
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
 * on them — what `aaclip datasets check` reports. Unknown kinds and invalid options still throw.
 */
export async function scanDataset(kind: string, root: string, options?: unknown): Promise<DatasetScan> {
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
  return { dataset, problems: reading.problems };
}

/**
 * Reads a dataset of a registered kind. Any problem (a missing mask, a bad manifest line, an empty
 * class, …) fails with an AaclipError naming the first file at fault; nothing is skipped.
 */
export async function loadDataset(kind: string, root: string, options?: unknown): Promise<Dataset> {
  const { dataset, problems } = await scanDataset(kind, root, options);
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
