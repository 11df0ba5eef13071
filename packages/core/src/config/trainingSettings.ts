// AA-CLIP's training hyperparameters (DESIGN.md, "Training"). The defaults are the reference's
// values and the single place the trainer, the loss graphs and the CLI take them from.
import { z } from 'zod';
import { parseWithSchema } from './zodIssue.js';

const probability = z.number().min(0).max(1);
const positive = z.number().positive();

/** Adam as PyTorch computes it (no weight decay, no amsgrad). */
export const AdamSettings = z.object({
  beta1: z.number().min(0).lt(1).default(0.5),
  beta2: z.number().min(0).lt(1).default(0.999),
  eps: positive.default(1e-8),
});
export type AdamSettings = z.infer<typeof AdamSettings>;

/** Geometric augmentation of image and mask together (torchvision defaults: nearest, zero fill). */
export const GeometricAugmentation = z.object({
  /** Rotation by an angle drawn uniformly in ±maxDegrees, applied with this probability. */
  rotationProbability: probability.default(0.5),
  maxRotationDegrees: z.number().min(0).max(180).default(30),
  /** Translation by up to this fraction of the width/height, applied with this probability. */
  translationProbability: probability.default(0.5),
  maxTranslation: z.number().min(0).max(1).default(0.15),
  horizontalFlipProbability: probability.default(0.5),
  verticalFlipProbability: probability.default(0.5),
});
export type GeometricAugmentation = z.infer<typeof GeometricAugmentation>;

/** Colour jitter of the 8-bit image (stage 2 only in the reference); each factor in [1 − s, 1 + s]. */
export const ColorJitter = z.object({
  brightness: z.number().min(0).default(0.5),
  contrast: z.number().min(0).default(0.5),
  saturation: z.number().min(0).default(0.5),
  /** Each of the three is applied with this probability. */
  probability: probability.default(0.7),
});
export type ColorJitter = z.infer<typeof ColorJitter>;

/** The segmentation loss (focal + two Dice terms) on the softmax of the upsampled 100× map. */
export const SegmentationLossSettings = z.object({
  focalGamma: z.number().min(0).default(2),
  /** Target clamp and the term added to p_t (the reference's FocalLoss `smooth`). */
  focalSmooth: z.number().min(0).lt(0.5).default(1e-5),
  /** Added to the Dice numerator and denominator. */
  diceSmooth: z.number().min(0).default(1),
});
export type SegmentationLossSettings = z.infer<typeof SegmentationLossSettings>;

export const Stage1Levels = z.enum(['last', 'all']);
export type Stage1Levels = z.infer<typeof Stage1Levels>;

export const TextStageSettings = z.object({
  epochs: z.number().int().nonnegative().default(5),
  batchSize: z.number().int().positive().default(16),
  learningRate: positive.default(1e-5),
  /**
   * Which levels' seg losses count. The reference reassigns the loss in its level loop, so only
   * the last level counts ('last', its behaviour); 'all' sums the four as the method intends.
   */
  levels: Stage1Levels.default('last'),
  /** Weight of (mean over the batch of anchor_normal · anchor_anomalous)². */
  orthogonalityWeight: z.number().min(0).default(0.1),
  /** First vision block (0-based) whose attention is V-V in the frozen feature CLIP ("surgery"). */
  surgeryFromBlock: z.number().int().nonnegative().default(5),
  /** The reference augments stage 1 geometrically but does not colour-jitter. */
  colorJitter: z.boolean().default(false),
});
export type TextStageSettings = z.infer<typeof TextStageSettings>;

export const ImageStageSettings = z.object({
  epochs: z.number().int().nonnegative().default(20),
  batchSize: z.number().int().positive().default(2),
  learningRate: positive.default(5e-4),
  /** MultiStepLR: the learning rate is multiplied by `lrGamma` at each of these step counts. */
  lrMilestones: z.array(z.number().int().positive()).default([16000, 32000]),
  lrGamma: positive.default(0.5),
  colorJitter: z.boolean().default(true),
});
export type ImageStageSettings = z.infer<typeof ImageStageSettings>;

export const TrainingSettings = z.object({
  text: TextStageSettings.default(TextStageSettings.parse({})),
  image: ImageStageSettings.default(ImageStageSettings.parse({})),
  adam: AdamSettings.default(AdamSettings.parse({})),
  segmentationLoss: SegmentationLossSettings.default(SegmentationLossSettings.parse({})),
  augment: z.boolean().default(true),
  geometric: GeometricAugmentation.default(GeometricAugmentation.parse({})),
  colorJitter: ColorJitter.default(ColorJitter.parse({})),
  /** Seeds sampling, shuffling, augmentation and adapter initialisation (the reference's 111). */
  seed: z.number().int().nonnegative().default(111),
});
export type TrainingSettings = z.infer<typeof TrainingSettings>;
export type TrainingSettingsInput = z.input<typeof TrainingSettings>;

/** Parses user training settings (missing fields take the reference's values); errors name the field. */
export function parseTrainingSettings(partial: unknown, source: string): TrainingSettings {
  return parseWithSchema(TrainingSettings, partial ?? {}, source);
}

export function defaultTrainingSettings(): TrainingSettings {
  return TrainingSettings.parse({});
}
