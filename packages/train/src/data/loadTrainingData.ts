import path from 'node:path';
import { defaultTrainingSettings } from '@aaclip/core';
import {
  allowPathsOutsideRoot,
  checkSampleImages,
  getDataset,
  scanDataset,
  selectSamples,
  throwOnProblems,
  type Dataset,
  type DatasetProblem,
  type DatasetSample,
  type ImageVerification,
  type SampleSplit,
} from '@aaclip/datasets';
import { checkTrainingExamples } from './checkTrainingExamples.js';
import type { TrainingData, TrainingExample } from './trainingExample.js';

export interface TrainingDataOptions {
  /** A registered dataset kind ("mvtec", "visa", a plugin's name, …). */
  readonly kind: string;
  readonly root: string;
  /** The kind's options (as `--option key=value` gives them). */
  readonly datasetOptions?: Readonly<Record<string, unknown>>;
  /** Few-shot: k normal and k anomalous images per class, drawn seeded (as `aaclip datasets manifest --shots`). */
  readonly shots?: number;
  /** Seed of the few-shot draw (default: the training seed's default). */
  readonly seed?: number;
  /**
   * An explicit JSONL list ({"image_path","label","class_name","mask_path"} a line, paths relative
   * to `root`); every line is used, whatever its split. Prompt names still come from `kind`.
   */
  readonly manifestPath?: string;
  /** Accept list-file paths (JSONL manifest, VisA's split CSV) outside the root (`--allow-outside-root`). */
  readonly allowOutsideRoot?: boolean;
  /** How much of each selected image and mask is read up front (default 'headers': readable, mask size equals image size). */
  readonly checkImages?: ImageVerification;
}

// The reference trains on the split that has ground truth: its full-shot manifests are the
// test splits of VisA and MVTec AD (normal images with empty masks, anomalous ones with masks).
const SPLIT_WITH_GROUND_TRUTH: SampleSplit = 'test';

const isManifestKind = (kind: string): boolean => getDataset(kind).name === 'jsonl';

/** Reads the dataset without failing on missing masks, which the training check reports in its own words. */
async function readDataset(kind: string, root: string, options: unknown): Promise<Dataset> {
  const { dataset, problems } = await scanDataset(kind, root, options);
  throwOnProblems(problems.filter((p: DatasetProblem) => p.kind !== 'missing-mask'));
  return dataset;
}

/** The manifest's lines as a dataset whose prompt names (and domain) are those of `kind`. */
async function readManifest(options: TrainingDataOptions, manifestPath: string): Promise<Dataset> {
  const classes = options.datasetOptions?.['classes'];
  const manifestOptions = {
    manifest: manifestPath,
    requireMasks: false,
    ...(classes === undefined ? {} : { classes }),
    ...(options.allowOutsideRoot ? { allowOutsideRoot: true } : {}),
  };
  if (isManifestKind(options.kind)) {
    return readDataset('jsonl', options.root, { ...options.datasetOptions, ...manifestOptions });
  }
  const lines = await readDataset('jsonl', options.root, manifestOptions);
  // Only the kind's facts are needed (prompt names, domain): its tree need not be complete.
  const { dataset: facts } = await scanDataset(options.kind, options.root, options.datasetOptions);
  return { ...lines, kind: facts.kind, domain: facts.domain, promptName: (c) => facts.promptName(c) };
}

/**
 * The examples to train on: the ground-truth split of a dataset of any registered kind (or the
 * lines of an explicit manifest), optionally k shots per class. Everything is validated before
 * it is returned — unknown kind, bad options, no anomalous image, an anomalous image without a
 * mask, and (with `checkImages`) unreadable images and masks of the wrong size — so a run fails
 * before any work.
 */
export async function loadTrainingData(options: TrainingDataOptions): Promise<TrainingData> {
  const root = path.resolve(options.root);
  const dataset = options.manifestPath
    ? await readManifest({ ...options, root }, options.manifestPath)
    : await readDataset(
        options.kind,
        root,
        options.allowOutsideRoot ? allowPathsOutsideRoot(options.kind, options.datasetOptions ?? {}, '--allow-outside-root') : options.datasetOptions,
      );
  const samples: DatasetSample[] = selectSamples(dataset, {
    split: options.manifestPath ? 'all' : SPLIT_WITH_GROUND_TRUTH,
    shots: options.shots,
    seed: options.seed ?? defaultTrainingSettings().seed,
  });
  const examples: TrainingExample[] = samples.map((s) => ({
    imagePath: s.imagePath,
    className: s.className,
    promptName: dataset.promptName(s.className),
    label: s.label,
    maskPath: s.maskPath,
  }));
  checkTrainingExamples(examples, options.manifestPath ? path.resolve(options.manifestPath) : root);
  throwOnProblems(await checkSampleImages(samples, { images: options.checkImages ?? 'headers' }));
  return {
    kind: dataset.kind,
    root,
    domain: dataset.domain,
    classes: dataset.classes.filter((c) => examples.some((e) => e.className === c)),
    examples,
  };
}
