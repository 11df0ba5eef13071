import path from 'node:path';
import type { DatasetSample, SampleSplit } from '../sample/datasetSample.js';

/**
 * One line of a manifest. The first four fields are the reference's format (paths relative to
 * the dataset root, "" for no mask); `split` and `defect_type` keep what the reference's format
 * cannot say, and readers of the reference format ignore them.
 */
export interface ManifestRecord {
  readonly image_path: string;
  readonly label: 0 | 1;
  readonly class_name: string;
  readonly mask_path: string;
  readonly split: SampleSplit;
  readonly defect_type: string;
}

/** A path relative to `root`, with "/" separators on every platform. */
function relativePosix(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

export function manifestRecord(sample: DatasetSample, root: string): ManifestRecord {
  return {
    image_path: relativePosix(root, sample.imagePath),
    label: sample.label,
    class_name: sample.className,
    mask_path: sample.maskPath === null ? '' : relativePosix(root, sample.maskPath),
    split: sample.split,
    defect_type: sample.defectType,
  };
}

/** JSONL text: one record a line, each line ending in "\n". */
export function manifestText(samples: readonly DatasetSample[], root: string): string {
  return samples.map((s) => `${JSON.stringify(manifestRecord(s, root))}\n`).join('');
}
