import path from 'node:path';
import { z } from 'zod';
import { datasetProblem, type DatasetProblem } from '../check/datasetProblem.js';
import { lookUpPromptName, type DatasetFacts } from '../facts/datasetFacts.js';
import type { DatasetFactory, DatasetReading } from '../registry/datasetFactory.js';
import { NORMAL_DEFECT_TYPE, type DatasetSample } from '../sample/datasetSample.js';
import { classesOption, promptNamesOption } from './commonOptions.js';
import { compareNames, listFolder, listImages } from './folderListing.js';
import { MaskFolder } from './maskFolder.js';

/**
 * The MVTec-style tree shared by MVTec AD, MPDD and BTAD:
 *   <root>/<class>/train/<normal>/*            normal training images
 *   <root>/<class>/test/<normal>/*             normal test images
 *   <root>/<class>/test/<defect>/*             anomalous test images
 *   <root>/<class>/ground_truth/<defect>/*     their masks
 */
export interface ClassTreeLayout {
  readonly facts: DatasetFacts;
  /** Folder names holding normal images ("good"; BTAD uses "ok"). */
  readonly normalFolders: readonly string[];
  /** Mask-name stems to try for an image stem, in order ("000" → ["000_mask", "000"]). */
  readonly maskStems: (imageStem: string) => readonly string[];
}

export interface ClassTreeOptions {
  readonly classes?: readonly string[] | undefined;
  readonly promptNames?: Readonly<Record<string, string>> | undefined;
}

const SPLIT_FOLDERS = ['train', 'test'] as const;

/** Reads a whole MVTec-style tree; `root` may also be a single class folder. */
export async function readClassTree(
  root: string,
  layout: ClassTreeLayout,
  options: ClassTreeOptions,
): Promise<DatasetReading> {
  const problems: DatasetProblem[] = [];
  const samples: DatasetSample[] = [];
  const classes = await findClasses(root, layout, options, problems);
  for (const cls of classes) {
    const classSamples = await readClass(cls.dir, cls.name, layout, problems);
    if (classSamples.length === 0) {
      problems.push(datasetProblem('empty-class', cls.dir, `class "${cls.name}" has no images`));
    }
    samples.push(...classSamples);
  }
  return {
    domain: layout.facts.domain,
    classes: classes.map((c) => c.name),
    samples,
    problems,
    promptName: (className) => lookUpPromptName(className, layout.facts, options.promptNames),
  };
}

interface ClassFolder {
  readonly name: string;
  readonly dir: string;
}

async function findClasses(
  root: string,
  layout: ClassTreeLayout,
  options: ClassTreeOptions,
  problems: DatasetProblem[],
): Promise<ClassFolder[]> {
  const listing = await listFolder(root, problems);
  if (!listing.ok) {
    problems.push(datasetProblem('missing-folder', root, listing.reason));
    return [];
  }
  // A class folder given directly as the root.
  if (listing.folders.some((f) => (SPLIT_FOLDERS as readonly string[]).includes(f))) {
    const name = path.basename(root);
    if (options.classes && !options.classes.includes(name)) {
      problems.push(datasetProblem('missing-folder', root, `is the class "${name}", not one of the classes asked for (${options.classes.join(', ')})`));
      return [];
    }
    return [{ name, dir: root }];
  }
  if (options.classes) {
    const found: ClassFolder[] = [];
    for (const name of options.classes) {
      if (listing.folders.includes(name)) found.push({ name, dir: path.join(root, name) });
      else problems.push(datasetProblem('missing-folder', path.join(root, name), `class folder "${name}" not found`));
    }
    return found;
  }
  // Known classes in the reference's order, then any others in name order.
  const known = layout.facts.classes.filter((c) => listing.folders.includes(c));
  const others = listing.folders.filter((f) => !layout.facts.classes.includes(f)).sort(compareNames);
  const names = [...known, ...others];
  if (names.length === 0) problems.push(datasetProblem('empty-class', root, 'no class folders'));
  return names.map((name) => ({ name, dir: path.join(root, name) }));
}

async function readClass(
  dir: string,
  className: string,
  layout: ClassTreeLayout,
  problems: DatasetProblem[],
): Promise<DatasetSample[]> {
  const samples: DatasetSample[] = [];
  const top = await listFolder(dir, problems);
  if (!top.ok) {
    problems.push(datasetProblem('missing-folder', dir, top.reason));
    return samples;
  }
  if (!top.folders.includes('test')) {
    problems.push(datasetProblem('missing-folder', path.join(dir, 'test'), 'no test folder'));
  }
  const isNormal = (folder: string): boolean => layout.normalFolders.includes(folder);

  // Training images: only the normal folder is part of the layout.
  const trainDir = path.join(dir, 'train');
  const train = await listFolder(trainDir, problems);
  if (train.ok) {
    reportStrayFiles(trainDir, train.files, problems);
    for (const folder of train.folders) {
      const folderDir = path.join(trainDir, folder);
      if (!isNormal(folder)) {
        problems.push(datasetProblem('unexpected-entry', folderDir, `unexpected folder in train/ (expected ${layout.normalFolders.join(' or ')})`));
        continue;
      }
      for (const imagePath of await listImages(folderDir, problems)) {
        samples.push({ imagePath, maskPath: null, label: 0, className, split: 'train', defectType: NORMAL_DEFECT_TYPE });
      }
    }
  }

  // Test images, with masks for every defect folder.
  const testDir = path.join(dir, 'test');
  const truthDir = path.join(dir, 'ground_truth');
  const test = await listFolder(testDir, problems);
  const truth = await listFolder(truthDir, problems);
  const defectFolders = test.ok ? test.folders.filter((f) => !isNormal(f)) : [];
  if (test.ok) {
    reportStrayFiles(testDir, test.files, problems);
    const normals = test.folders.filter(isNormal);
    for (const folder of [...normals, ...defectFolders]) {
      const folderDir = path.join(testDir, folder);
      const images = await listImages(folderDir, problems);
      if (isNormal(folder)) {
        for (const imagePath of images) {
          samples.push({ imagePath, maskPath: null, label: 0, className, split: 'test', defectType: NORMAL_DEFECT_TYPE });
        }
        continue;
      }
      const masks = await MaskFolder.open(path.join(truthDir, folder), problems, true);
      for (const imagePath of images) {
        const maskPath = masks.pair(imagePath, layout.maskStems, problems);
        if (!maskPath) {
          problems.push(datasetProblem('missing-mask', imagePath, `anomalous image without a mask in ${path.join(truthDir, folder)}`));
        }
        samples.push({ imagePath, maskPath, label: 1, className, split: 'test', defectType: folder });
      }
      masks.reportOrphans(problems);
    }
  }
  // Mask folders for which there is no test folder at all.
  if (truth.ok) {
    reportStrayFiles(truthDir, truth.files, problems);
    for (const folder of truth.folders.filter((f) => !defectFolders.includes(f))) {
      const masks = await MaskFolder.open(path.join(truthDir, folder), problems);
      masks.reportOrphans(problems);
    }
  }
  for (const folder of top.folders.filter((f) => !['train', 'test', 'ground_truth'].includes(f))) {
    problems.push(datasetProblem('unexpected-entry', path.join(dir, folder), 'unexpected folder (expected train, test, ground_truth)'));
  }
  return samples;
}

function reportStrayFiles(dir: string, files: readonly string[], problems: DatasetProblem[]): void {
  for (const name of files) {
    problems.push(datasetProblem('unexpected-entry', path.join(dir, name), 'unexpected file (images belong in a sub-folder)'));
  }
}

const classTreeOptions = z.strictObject({ classes: classesOption, promptNames: promptNamesOption });

/** A registry format for one MVTec-style layout; options: `classes`, `promptNames`. */
export function classTreeFormat(summary: string, layout: ClassTreeLayout): DatasetFactory<typeof classTreeOptions> {
  return { summary, optionsSchema: classTreeOptions, read: (root, options) => readClassTree(root, layout, options) };
}
