import path from 'node:path';
import { z } from 'zod';
import { datasetProblem, type DatasetProblem } from '../check/datasetProblem.js';
import type { DatasetFacts } from '../facts/datasetFacts.js';
import { CVC_300_FACTS, CVC_CLINICDB_FACTS, CVC_COLONDB_FACTS, KVASIR_FACTS } from '../facts/medicalFacts.js';
import type { DatasetFactory, DatasetReading } from '../registry/datasetFactory.js';
import type { DatasetSample } from '../sample/datasetSample.js';
import { promptNamesOption } from './commonOptions.js';
import { listFolder, listImages } from './folderListing.js';
import { MaskFolder } from './maskFolder.js';
import { singleClassReading } from './singleClassReading.js';

/** Image / mask folder pairs the polyp sets are published with. */
const FOLDER_PAIRS: readonly (readonly [images: string, masks: string])[] = [
  ['images', 'masks'], // Kvasir-SEG and the PraNet test sets (CVC-300, CVC-ClinicDB, CVC-ColonDB, Kvasir)
  ['Original', 'Ground Truth'], // CVC-ClinicDB's own release (TIFF)
];

const polypOptions = z.strictObject({ promptNames: promptNamesOption });

/**
 * A polyp segmentation set (one class, test only): `images/` and `masks/` with the same file
 * names. Every frame shows a polyp, so every sample is anomalous and needs its mask; the image
 * metrics of these sets are therefore undefined (one label value), as in the reference.
 */
function polypFormat(facts: DatasetFacts, summary: string): DatasetFactory<typeof polypOptions> {
  return { summary, optionsSchema: polypOptions, read: (root, options) => readPolyp(root, facts, options) };
}

export const cvcClinicDbFormat = polypFormat(CVC_CLINICDB_FACTS, 'CVC-ClinicDB polyps: images/ + masks/ (or Original/ + Ground Truth/)');
export const cvcColonDbFormat = polypFormat(CVC_COLONDB_FACTS, 'CVC-ColonDB polyps: images/ + masks/');
export const kvasirFormat = polypFormat(KVASIR_FACTS, 'Kvasir-SEG polyps: images/ + masks/');
export const cvc300Format = polypFormat(CVC_300_FACTS, 'CVC-300 polyps (EndoScene test): images/ + masks/');

async function readPolyp(root: string, facts: DatasetFacts, options: z.output<typeof polypOptions>): Promise<DatasetReading> {
  const problems: DatasetProblem[] = [];
  const samples: DatasetSample[] = [];
  const className = facts.classes[0]!;
  const top = await listFolder(root, problems);
  if (!top.ok) {
    problems.push(datasetProblem('missing-folder', root, top.reason));
  } else {
    const pair = FOLDER_PAIRS.find(([images]) => top.folders.includes(images));
    if (!pair) {
      problems.push(datasetProblem('missing-folder', path.join(root, 'images'), `no image folder (expected ${FOLDER_PAIRS.map(([i, m]) => `${i}/ + ${m}/`).join(' or ')})`));
    } else {
      const masks = await MaskFolder.open(path.join(root, pair[1]), problems);
      for (const imagePath of await listImages(path.join(root, pair[0]), problems)) {
        const maskPath = masks.pair(imagePath, (stem) => [stem, `${stem}_mask`], problems);
        if (!maskPath) problems.push(datasetProblem('missing-mask', imagePath, `polyp image without a mask in ${path.join(root, pair[1])}`));
        samples.push({ imagePath, maskPath, label: 1, className, split: 'test', defectType: 'polyp' });
      }
      masks.reportOrphans(problems);
    }
  }
  return singleClassReading(root, facts, samples, problems, options.promptNames);
}
