import path from 'node:path';
import { mapConcurrently } from '../io/mapConcurrently.js';
import type { Dataset } from '../registry/datasetFactory.js';
import { scanDataset } from '../registry/openDataset.js';
import type { DatasetSample, SampleSplit } from '../sample/datasetSample.js';
import { datasetProblem, formatDatasetProblem, type DatasetProblem } from './datasetProblem.js';
import { readImageSize } from './imageHeader.js';

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

/**
 * Reads every image and mask (header, or fully with `decode`) and reports files that are not
 * readable images and masks whose size differs from their image's. Files in `skip` (already
 * reported as missing) are not read again.
 */
export async function checkSampleImages(
  samples: readonly DatasetSample[],
  options: CheckOptions = {},
  skip: ReadonlySet<string> = new Set(),
): Promise<DatasetProblem[]> {
  const decode = options.decode ?? false;
  const found = await mapConcurrently(samples, options.concurrency ?? 8, async (sample) => {
    const problems: DatasetProblem[] = [];
    const image = skip.has(sample.imagePath) ? null : await readImageSize(sample.imagePath, decode);
    if (image && !image.ok) problems.push(datasetProblem('unreadable-file', sample.imagePath, `not a readable image (${image.reason})`));
    if (sample.maskPath !== null && !skip.has(sample.maskPath)) {
      const mask = await readImageSize(sample.maskPath, decode);
      if (!mask.ok) {
        problems.push(datasetProblem('unreadable-file', sample.maskPath, `not a readable mask (${mask.reason})`));
      } else if (image?.ok && (mask.width !== image.width || mask.height !== image.height)) {
        problems.push(
          datasetProblem('mask-size-mismatch', sample.maskPath, `mask is ${mask.width}×${mask.height} but its image ${path.basename(sample.imagePath)} is ${image.width}×${image.height}`),
        );
      }
    }
    return problems;
  });
  return found.flat();
}

/** Reads a dataset of a registered kind and checks its structure and every file in it. */
export async function checkDataset(kind: string, root: string, datasetOptions?: unknown, options: CheckOptions = {}): Promise<CheckReport> {
  const { dataset, problems } = await scanDataset(kind, root, datasetOptions);
  const missing = new Set(problems.filter((p) => p.kind === 'missing-file').map((p) => p.file));
  const imageProblems = await checkSampleImages(dataset.samples, options, missing);
  return { dataset, counts: countSamples(dataset), problems: [...problems, ...imageProblems] };
}

/** The report as text: a header line, a table of counts, then every problem on its own line. */
export function formatCheckReport(report: CheckReport): string {
  const { dataset, counts, problems } = report;
  const lines = [
    `${dataset.kind} dataset at ${dataset.root}: ${dataset.classes.length} class${dataset.classes.length === 1 ? '' : 'es'}, ${dataset.samples.length} images (${dataset.domain})`,
  ];
  const header = ['class', 'split', 'normal', 'anomalous', 'masks'];
  const rows = counts.map((c) => [c.className, c.split, String(c.normal), String(c.anomalous), String(c.masks)]);
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
