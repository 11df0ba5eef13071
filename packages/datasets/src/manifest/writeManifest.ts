import { writeFileAtomic } from '@aaclip/node-io';
import type { Dataset } from '../registry/datasetFactory.js';
import type { DatasetSample } from '../sample/datasetSample.js';
import { manifestText } from './manifestRecord.js';
import { selectSamples, type SampleSelection } from './selectSamples.js';

/**
 * Writes a JSONL manifest of a dataset (all of it, one split, or a seeded few-shot draw) with
 * paths relative to the dataset's root. The file appears complete or not at all.
 */
export async function writeManifest(file: string, dataset: Dataset, selection: SampleSelection = {}): Promise<DatasetSample[]> {
  const samples = selectSamples(dataset, selection);
  await writeFileAtomic(file, manifestText(samples, dataset.root));
  return samples;
}
