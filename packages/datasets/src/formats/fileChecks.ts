import { stat } from 'node:fs/promises';
import { datasetProblem, type DatasetProblem } from '../check/datasetProblem.js';
import { mapConcurrently } from '../io/mapConcurrently.js';
import type { DatasetSample } from '../sample/datasetSample.js';

/** Reports every image and mask a list-driven layout (CSV, JSONL) names but the disk lacks. */
export async function reportMissingFiles(
  samples: readonly DatasetSample[],
  problems: DatasetProblem[],
  describe: (sample: DatasetSample) => string,
): Promise<void> {
  const missing = await mapConcurrently(samples, 32, async (sample) => {
    const found: DatasetProblem[] = [];
    for (const [file, what] of [[sample.imagePath, 'image'], [sample.maskPath, 'mask']] as const) {
      if (file === null) continue;
      const s = await stat(file).catch((err: NodeJS.ErrnoException) => err.code ?? 'error');
      if (typeof s === 'string') {
        found.push(datasetProblem('missing-file', file, `${what} ${s === 'ENOENT' ? 'not found' : `cannot be read (${s})`} (named in ${describe(sample)})`));
      } else if (!s.isFile()) {
        found.push(datasetProblem('missing-file', file, `${what} is not a file (named in ${describe(sample)})`));
      }
    }
    return found;
  });
  for (const list of missing) problems.push(...list);
}
