// Input and output names of the training loss graphs, and what both stages' builders take.
import type { AaclipSettings } from '../../config/aaclipSettings.js';
import type { ClipModelConfig } from '../../config/modelConfig.js';
import type { TrainingSettings } from '../../config/trainingSettings.js';
import { AaclipError } from '../../errors/aaclipError.js';
import type { TensorMap } from '../../tensor/tensor.js';

/** The scalar F32 loss (shape []) every loss graph outputs. */
export const LOSS_OUTPUT = 'loss';
/** Focal part of level k's seg loss (shape []). */
export const focalLossOutput = (level: number): string => `loss_focal_${level}`;
/** Dice(normal, 1 − mask) + Dice(anomalous, mask) of level k (shape []). */
export const diceLossOutput = (level: number): string => `loss_dice_${level}`;
/** Stage 1: the weighted orthogonality term (shape []). */
export const ORTHOGONALITY_LOSS_OUTPUT = 'loss_orthogonality';
/** Stage 2: the detection cross-entropy (shape []). */
export const CROSS_ENTROPY_LOSS_OUTPUT = 'loss_ce';
/** Stage 1: the anchors of every class [C, E, 2] (column 0 normal, 1 anomalous). */
export const CLASS_ANCHORS_OUTPUT = 'class_anchors';

/** Stage 1: the classes' prompt token ids [C·P, context_length] int64, each class's normal prompts first. */
export const PROMPT_IDS_INPUT = 'input_ids';
/** Stage 1: each image's class as a one-hot row [B, C] F32. */
export const CLASS_ONE_HOT_INPUT = 'class_one_hot';
/** Stage 1: the frozen image features of level k [B, g², E]. */
export const patchFeaturesInput = (level: number): string => `patch_features_${level}`;
/** Both stages: the ground-truth masks [B, S, S] F32, 0 normal / 1 anomalous. */
export const MASKS_INPUT = 'masks';
/** Stage 2: the images [B, 3, S, S], preprocessed. */
export const PIXELS_INPUT = 'pixel_values';
/** Stage 2: each image's anchors [B, E, 2] (fixed in this stage). */
export const ANCHORS_INPUT = 'anchors';
/** Stage 2: each image's label as a one-hot row [B, 2] F32 (column 1 anomalous). */
export const LABEL_ONE_HOT_INPUT = 'label_one_hot';

/** What both loss graphs are built from. */
export interface StageLossModel {
  config: ClipModelConfig;
  /** The open_clip state dict. */
  weights: TensorMap;
  /** The adapters' current values; the stage's own become the graph's trainable initializers. */
  adapters: TensorMap;
  settings: AaclipSettings;
  training: TrainingSettings;
  /** Images per step, fixed in the graph. */
  batchSize: number;
  /** Names the CLIP weights in error messages. */
  weightsSource?: string;
  /** Names the adapters in error messages. */
  adaptersSource?: string;
}

export function checkPositiveInteger(value: number, field: string, source: string): void {
  if (!Number.isInteger(value) || value < 1) throw new AaclipError(`${field} must be a positive integer, got ${value}`, source);
}
