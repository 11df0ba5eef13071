import { AaclipError } from '@aaclip/core';
import { compareNames } from '../formats/folderListing.js';
import type { Dataset } from '../registry/datasetFactory.js';
import { deriveSeed, SeededRandom } from '../random/seededRandom.js';
import type { DatasetSample, SampleSplit } from '../sample/datasetSample.js';

export interface SampleSelection {
  /** Which split to take samples from (default all). */
  readonly split?: SampleSplit | 'all';
  /** Few-shot: k normal and k anomalous samples per class. Absent: every sample. */
  readonly shots?: number;
  /** Seed of the few-shot draw (default 0). */
  readonly seed?: number;
}

/**
 * The samples a manifest lists. With `shots`, each class contributes k normal and k anomalous
 * samples drawn with a seeded shuffle; each class has its own stream (seed, class name), so the
 * draw for one class does not depend on which other classes are present. A class with fewer
 * than k of either kind is an error, not a smaller draw.
 */
export function selectSamples(dataset: Pick<Dataset, 'root' | 'classes' | 'samples'>, selection: SampleSelection = {}): DatasetSample[] {
  const split = selection.split ?? 'all';
  const pool = dataset.samples.filter((s) => split === 'all' || s.split === split);
  const { shots } = selection;
  if (shots === undefined) return pool;
  if (!Number.isInteger(shots) || shots < 1) throw new AaclipError(`must be a whole number ≥ 1 (got ${shots})`, 'shots');
  const seed = selection.seed ?? 0;
  const chosen = new Set<DatasetSample>();
  for (const className of dataset.classes) {
    for (const label of [0, 1] as const) {
      const candidates = pool
        .filter((s) => s.className === className && s.label === label)
        .sort((a, b) => compareNames(a.imagePath, b.imagePath));
      const kind = label === 0 ? 'normal' : 'anomalous';
      if (candidates.length < shots) {
        const where = split === 'all' ? '' : ` in the ${split} split`;
        throw new AaclipError(`class "${className}" has ${candidates.length} ${kind} images${where}, fewer than the ${shots} shots asked for`, dataset.root);
      }
      const rng = new SeededRandom(deriveSeed(seed, 'few-shot', className, kind));
      for (const s of rng.shuffled(candidates).slice(0, shots)) chosen.add(s);
    }
  }
  return pool.filter((s) => chosen.has(s));
}
