import type { Domain, RawImage } from '@aaclip/core';

/**
 * What the evaluation needs from a detector — core's `AnomalyDetector` fits: square anomaly maps
 * at `settings.imageSize` and an image score per image, for a class named by its prompt text.
 */
export interface MapDetector {
  /**
   * `imageSize`: side of the square maps in pixels. `domain`: the domain the detector scores for
   * (core's detector has it in its settings); the evaluation takes it from here.
   */
  readonly settings: { readonly imageSize: number; readonly domain?: Domain };
  detect(
    images: readonly RawImage[],
    promptName: string,
  ): Promise<readonly { readonly anomalyMap: Float32Array; readonly imageScore: number }[]>;
}

/** One test image to score (a `DatasetSample` of @aaclip/datasets fits). */
export interface EvaluationSample {
  readonly imagePath: string;
  /** Ground truth; null for normal images (or a dataset without pixel labels). */
  readonly maskPath: string | null;
  /** 0 normal, 1 anomalous. */
  readonly label: number;
}

/** A class to evaluate: its samples and the text put into its prompts. */
export interface EvaluationClass {
  readonly name: string;
  readonly promptName: string;
  readonly samples: readonly EvaluationSample[];
}
