import type { DatasetDomain } from '@aaclip/datasets';

/** One image the trainer learns from. Paths are absolute. */
export interface TrainingExample {
  readonly imagePath: string;
  readonly className: string;
  /** The class's text in the prompts (the dataset's table, as detect and eval use it). */
  readonly promptName: string;
  /** 0 normal, 1 anomalous. */
  readonly label: 0 | 1;
  /** The ground-truth mask; null for a normal image (its mask is all zero). */
  readonly maskPath: string | null;
}

/** The examples of a training run and where they came from. */
export interface TrainingData {
  /** The registry name of the dataset kind. */
  readonly kind: string;
  readonly root: string;
  readonly domain: DatasetDomain;
  /** The classes that have examples, in the dataset's order. */
  readonly classes: readonly string[];
  readonly examples: readonly TrainingExample[];
}
