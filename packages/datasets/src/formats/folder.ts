import path from 'node:path';
import { z } from 'zod';
import { datasetProblem, type DatasetProblem } from '../check/datasetProblem.js';
import { fallbackPromptName } from '../facts/datasetFacts.js';
import type { DatasetFactory, DatasetReading } from '../registry/datasetFactory.js';
import { NORMAL_DEFECT_TYPE, type DatasetSample } from '../sample/datasetSample.js';
import { domainOption } from './commonOptions.js';
import { listImages } from './folderListing.js';
import { MaskFolder } from './maskFolder.js';

const folderList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const folderOptions = z
  .strictObject({
    /** Normal images, relative to the root. */
    normalDir: z.string().min(1).default('normal'),
    /** Which split the normal folder is. */
    normalSplit: z.enum(['train', 'test']).default('test'),
    /** More normal images, always test. */
    normalTestDir: z.string().min(1).optional(),
    /** Anomalous images (one folder or several; each folder's name becomes the defect type). */
    abnormalDir: folderList.default('abnormal'),
    /** Masks, named like their images (or <name>_mask); one folder for all, one per abnormal folder, or null for none. */
    maskDir: folderList.nullable().default('mask'),
    /** The one class's name; defaults to the root folder's name. */
    className: z.string().min(1).optional(),
    promptName: z.string().min(1).optional(),
    domain: domainOption.default('industrial'),
  })
  .refine((o) => !Array.isArray(o.maskDir) || (Array.isArray(o.abnormalDir) && o.abnormalDir.length === o.maskDir.length), {
    message: 'a list of mask folders needs a list of abnormal folders of the same length',
    path: ['maskDir'],
  });

/**
 * A generic one-class layout, like anomalib's Folder: a folder of normal images, one or more
 * folders of anomalous images and their masks, all under the root.
 */
export const folderFormat: DatasetFactory<typeof folderOptions> = {
  summary: 'Generic folders: <root>/{normal,abnormal,mask}/ (names and splits set by options)',
  optionsSchema: folderOptions,
  read: readFolders,
};

const asList = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

async function readFolders(root: string, options: z.output<typeof folderOptions>): Promise<DatasetReading> {
  const problems: DatasetProblem[] = [];
  const samples: DatasetSample[] = [];
  const className = options.className ?? path.basename(root);
  const addNormals = async (dir: string, split: 'train' | 'test'): Promise<void> => {
    for (const imagePath of await listImages(path.resolve(root, dir), problems)) {
      samples.push({ imagePath, maskPath: null, label: 0, className, split, defectType: NORMAL_DEFECT_TYPE });
    }
  };
  await addNormals(options.normalDir, options.normalSplit);
  if (options.normalTestDir) await addNormals(options.normalTestDir, 'test');

  const abnormalDirs = asList(options.abnormalDir);
  const maskDirs = options.maskDir === null ? [] : asList(options.maskDir);
  const maskFolders = await Promise.all(maskDirs.map((d) => MaskFolder.open(path.resolve(root, d), problems)));
  for (const [i, dir] of abnormalDirs.entries()) {
    const masks = maskFolders.length > 1 ? maskFolders[i] : maskFolders[0];
    for (const imagePath of await listImages(path.resolve(root, dir), problems)) {
      const maskPath = masks?.pair(imagePath, (stem) => [stem, `${stem}_mask`], problems) ?? null;
      if (masks && !maskPath) problems.push(datasetProblem('missing-mask', imagePath, `anomalous image without a mask in ${masks.dir}`));
      samples.push({ imagePath, maskPath, label: 1, className, split: 'test', defectType: path.basename(dir) });
    }
  }
  for (const masks of maskFolders) masks.reportOrphans(problems);
  if (samples.length === 0) problems.push(datasetProblem('empty-class', root, `class "${className}" has no images`));
  return {
    domain: options.domain,
    classes: [className],
    samples,
    problems,
    promptName: (name) => (name === className && options.promptName ? options.promptName : fallbackPromptName(name)),
  };
}
