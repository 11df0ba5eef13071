import { escapeControlCharacters } from '@aaclip/core';
import path from 'node:path';
import type { Dataset } from '../registry/datasetFactory.js';
import { scanDataset } from '../registry/openDataset.js';
import type { SampleSplit } from '../sample/datasetSample.js';
import { formatDatasetProblem, type DatasetProblem } from './datasetProblem.js';

/** Sample counts of one class in one split. */
export interface ClassSplitCount {
  readonly className: string;
  readonly split: SampleSplit;
  readonly normal: number;
  readonly anomalous: number;
  /** Samples that have a mask file. */
  readonly masks: number;
}

/** What `aaclip datasets check` reports: counts per class and split, and every problem found. */
export interface CheckReport {
  readonly dataset: Dataset;
  readonly counts: readonly ClassSplitCount[];
  readonly problems: readonly DatasetProblem[];
}

export interface CheckOptions {
  /** Decode every image and mask fully instead of reading headers only (slower, catches truncation). */
  readonly decode?: boolean;
  /** Files read at once (default 8). */
  readonly concurrency?: number;
}

/** Counts samples per class (in the dataset's class order) and split (train before test). */
export function countSamples(dataset: Pick<Dataset, 'classes' | 'samples'>): ClassSplitCount[] {
  const counts: ClassSplitCount[] = [];
  for (const className of dataset.classes) {
    for (const split of ['train', 'test'] as const) {
      const of = dataset.samples.filter((s) => s.className === className && s.split === split);
      if (of.length === 0) continue;
      counts.push({
        className,
        split,
        normal: of.filter((s) => s.label === 0).length,
        anomalous: of.filter((s) => s.label === 1).length,
        masks: of.filter((s) => s.maskPath !== null).length,
      });
    }
  }
  return counts;
}

/** Reads a dataset of a registered kind and checks its structure and every image and mask in it. */
export async function checkDataset(kind: string, root: string, datasetOptions?: unknown, options: CheckOptions = {}): Promise<CheckReport> {
  const { dataset, problems } = await scanDataset(kind, root, datasetOptions, { images: options.decode ? 'pixels' : 'headers', concurrency: options.concurrency });
  return { dataset, counts: countSamples(dataset), problems };
}

/** The report as text: a header line, a table of counts, then every problem on its own line. */
export function formatCheckReport(report: CheckReport): string {
  const { dataset, counts, problems } = report;
  // Names come from the user's files (a JSONL class_name may hold a newline): one line per row.
  const lines = [
    `${dataset.kind} dataset at ${escapeControlCharacters(dataset.root)}: ${dataset.classes.length} class${dataset.classes.length === 1 ? '' : 'es'}, ${dataset.samples.length} images (${dataset.domain})`,
  ];
  const header = ['class', 'split', 'normal', 'anomalous', 'masks'];
  const rows = counts.map((c) => [escapeControlCharacters(c.className), c.split, String(c.normal), String(c.anomalous), String(c.masks)]);
  if (rows.length > 0) {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const render = (cells: string[]): string =>
      cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
    lines.push('', render(header), ...rows.map(render));
  }
  lines.push('');
  if (problems.length === 0) {
    lines.push('No problems found.');
  } else {
    lines.push(`${problems.length} problem${problems.length === 1 ? '' : 's'}:`);
    for (const p of problems) {
      const relative = path.relative(dataset.root, p.file);
      const shown = relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : p.file;
      lines.push(`  ${formatDatasetProblem({ ...p, file: shown })}`);
    }
  }
  return lines.join('\n');
}
