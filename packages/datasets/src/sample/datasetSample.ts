/** Which part of a dataset a sample belongs to. */
export type SampleSplit = 'train' | 'test';

/** The two kinds of data AA-CLIP is evaluated on; it picks the blur kernel and the image-score rule. */
export type DatasetDomain = 'industrial' | 'medical';

/** One image of a dataset, as every format yields it. Paths are absolute. */
export interface DatasetSample {
  readonly imagePath: string;
  /** The ground-truth mask; null for normal images and for datasets without pixel labels. */
  readonly maskPath: string | null;
  /** 0 normal, 1 anomalous. */
  readonly label: 0 | 1;
  readonly className: string;
  readonly split: SampleSplit;
  /** The defect folder's name (e.g. "broken_large"); "good" for normal images. */
  readonly defectType: string;
}

export const NORMAL_DEFECT_TYPE = 'good';
