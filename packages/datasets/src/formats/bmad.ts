import path from 'node:path';
import { z } from 'zod';
import { datasetProblem, type DatasetProblem } from '../check/datasetProblem.js';
import type { DatasetFacts } from '../facts/datasetFacts.js';
import { BRAIN_MRI_FACTS, LIVER_CT_FACTS, RESC_FACTS } from '../facts/medicalFacts.js';
import type { DatasetFactory, DatasetReading } from '../registry/datasetFactory.js';
import { NORMAL_DEFECT_TYPE, type DatasetSample, type SampleSplit } from '../sample/datasetSample.js';
import { promptNamesOption } from './commonOptions.js';
import { listFolder, listImages } from './folderListing.js';
import { MaskFolder } from './maskFolder.js';
import { singleClassReading } from './singleClassReading.js';

// BMAD's folder names: "Ungood" holds the anomalous slices; masks sit in "label" (BMAD's release)
// or "anomaly_mask" (the copies prepared for MVFA, which the reference reads).
const NORMAL_FOLDER = 'good';
const ANOMALOUS_FOLDER = 'Ungood';
const IMAGE_FOLDER = 'img';
const MASK_FOLDERS = ['label', 'anomaly_mask'];

const bmadOptions = z.strictObject({
  /** What to do with BMAD's `valid/` folder: leave it out (the default), or count it as train or test. */
  validAs: z.enum(['skip', 'train', 'test']).default('skip'),
  promptNames: promptNamesOption,
});

/**
 * A BMAD medical set (one class):
 *   <root>/train/good/img/*                           normal training slices
 *   <root>/{valid,test}/good/img/*                    normal slices
 *   <root>/{valid,test}/Ungood/img/*                  anomalous slices
 *   <root>/{valid,test}/Ungood/{label|anomaly_mask}/* their masks, same file names
 * Folders without `img/` hold the images directly (BMAD's image-level sets).
 */
function bmadFormat(facts: DatasetFacts, summary: string): DatasetFactory<typeof bmadOptions> {
  return { summary, optionsSchema: bmadOptions, read: (root, options) => readBmad(root, facts, options) };
}

export const brainMriFormat = bmadFormat(BRAIN_MRI_FACTS, 'BMAD brain MRI (BraTS2021): {train,valid,test}/{good,Ungood}/{img,label}');
export const liverCtFormat = bmadFormat(LIVER_CT_FACTS, 'BMAD liver CT (BTCV+LiTS): {train,valid,test}/{good,Ungood}/{img,label}');
export const rescFormat = bmadFormat(RESC_FACTS, 'BMAD retinal OCT (RESC): {train,valid,test}/{good,Ungood}/{img,label}');

async function readBmad(root: string, facts: DatasetFacts, options: z.output<typeof bmadOptions>): Promise<DatasetReading> {
  const problems: DatasetProblem[] = [];
  const samples: DatasetSample[] = [];
  const className = facts.classes[0]!;
  const top = await listFolder(root, problems);
  if (!top.ok) {
    problems.push(datasetProblem('missing-folder', root, top.reason));
  } else {
    if (!top.folders.includes('test')) problems.push(datasetProblem('missing-folder', path.join(root, 'test'), 'no test folder'));
    for (const folder of top.folders) {
      const split: SampleSplit | 'skip' | undefined =
        folder === 'train' ? 'train' : folder === 'test' ? 'test' : folder === 'valid' ? options.validAs : undefined;
      if (split === undefined) {
        problems.push(datasetProblem('unexpected-entry', path.join(root, folder), 'unexpected folder (expected train, valid, test)'));
      } else if (split !== 'skip') {
        await readSplit(path.join(root, folder), split, className, samples, problems);
      }
    }
  }
  return singleClassReading(root, facts, samples, problems, options.promptNames);
}

async function readSplit(dir: string, split: SampleSplit, className: string, samples: DatasetSample[], problems: DatasetProblem[]): Promise<void> {
  const listing = await listFolder(dir, problems);
  if (!listing.ok) {
    problems.push(datasetProblem('missing-folder', dir, listing.reason));
    return;
  }
  for (const folder of listing.folders) {
    if (folder !== NORMAL_FOLDER && folder !== ANOMALOUS_FOLDER) {
      problems.push(datasetProblem('unexpected-entry', path.join(dir, folder), `unexpected folder (expected ${NORMAL_FOLDER}, ${ANOMALOUS_FOLDER})`));
      continue;
    }
    const label = folder === ANOMALOUS_FOLDER ? 1 : 0;
    const stateDir = path.join(dir, folder);
    const state = await listFolder(stateDir, problems);
    if (!state.ok) continue; // listed a moment ago; a vanished folder yields no images
    let imageDir = stateDir;
    let masks = MaskFolder.empty(stateDir);
    if (state.folders.includes(IMAGE_FOLDER)) {
      imageDir = path.join(stateDir, IMAGE_FOLDER);
      const maskFolders = state.folders.filter((f) => MASK_FOLDERS.includes(f));
      const extra = state.folders.filter((f) => f !== IMAGE_FOLDER && !MASK_FOLDERS.includes(f));
      for (const f of [...extra, ...maskFolders.slice(1)]) {
        problems.push(datasetProblem('unexpected-entry', path.join(stateDir, f), `unexpected folder (expected ${IMAGE_FOLDER} and one of ${MASK_FOLDERS.join(', ')})`));
      }
      for (const name of state.files) {
        problems.push(datasetProblem('unexpected-entry', path.join(stateDir, name), `unexpected file (images belong in ${IMAGE_FOLDER}/)`));
      }
      if (maskFolders[0]) masks = await MaskFolder.open(path.join(stateDir, maskFolders[0]), problems);
    }
    for (const imagePath of await listImages(imageDir, problems)) {
      const maskPath = masks.pair(imagePath, (stem) => [stem], problems);
      if (label === 1 && !maskPath) {
        problems.push(datasetProblem('missing-mask', imagePath, `anomalous image without a mask (expected in ${path.join(stateDir, MASK_FOLDERS[0]!)} or ${MASK_FOLDERS[1]})`));
      }
      samples.push({
        imagePath,
        maskPath,
        label,
        className,
        split,
        defectType: label === 1 ? ANOMALOUS_FOLDER : NORMAL_DEFECT_TYPE,
      });
    }
    masks.reportOrphans(problems);
  }
}
