import { mapConcurrently } from '../io/mapConcurrently.js';
import type { DatasetSample } from '../sample/datasetSample.js';
import { datasetProblem, type DatasetProblem } from './datasetProblem.js';
import { readImageSize } from './imageHeader.js';
import { maskAnomalies } from './maskAnomalies.js';

/**
 * How much of every image and mask a read looks at: nothing but the file tree (`none`, what
 * loadDataset does unless asked, so that batch work can list unreadable images and go on), each
 * file's header — readable, and mask size equal to image size (`headers`, what check does) — or
 * every pixel (`pixels`: slower; also finds truncated and corrupt data).
 */
export type ImageVerification = 'none' | 'headers' | 'pixels';

export interface ImageCheckOptions {
  readonly images?: ImageVerification;
  /** Files read at once (default 8). */
  readonly concurrency?: number | undefined;
}

/**
 * Reads every image and mask (as `images` says, default `headers`) and reports files that are not readable images,
 * masks whose size differs from their image's and, when decoding (`pixels`), masks of anomalous
 * images that mark no pixel. Files in `skip` (already reported as
 * missing) are not read again.
 */
export async function checkSampleImages(
  samples: readonly DatasetSample[],
  options: ImageCheckOptions = {},
  skip: ReadonlySet<string> = new Set(),
): Promise<DatasetProblem[]> {
  const images = options.images ?? 'headers';
  if (images === 'none') return [];
  const decode = images === 'pixels';
  const found = await mapConcurrently(samples, options.concurrency ?? 8, async (sample) => {
    const problems: DatasetProblem[] = [];
    const image = skip.has(sample.imagePath) ? null : await readImageSize(sample.imagePath, decode);
    if (image && !image.ok) problems.push(datasetProblem('unreadable-file', sample.imagePath, `not a readable image (${image.reason})`));
    if (sample.maskPath !== null && !skip.has(sample.maskPath)) {
      const mask = await readImageSize(sample.maskPath, decode);
      if (!mask.ok) {
        problems.push(datasetProblem('unreadable-file', sample.maskPath, `not a readable mask (${mask.reason})`));
      } else {
        problems.push(...maskAnomalies({ ...sample, maskPath: sample.maskPath }, image?.ok ? image : null, mask));
      }
    }
    return problems;
  });
  return found.flat();
}
