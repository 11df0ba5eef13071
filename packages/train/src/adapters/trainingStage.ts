import { AaclipError, STAGE_ADAPTER_PREFIX, type ExpectedShapes, type TrainingStage } from '@aaclip/core';

// The stages and their adapter prefixes are core's (the training-step builders use them too).
export { STAGE_ADAPTER_PREFIX, type TrainingStage };

/** AA-CLIP's two training stages in order: the text adapters first, then the image adapters. */
export const TRAINING_STAGES: readonly TrainingStage[] = ['text', 'image'];

export function isTrainingStage(value: unknown): value is TrainingStage {
  return value === 'text' || value === 'image';
}

/** Parses a stage name; anything else fails naming `source`. */
export function parseTrainingStage(value: string, source: string): TrainingStage {
  if (!isTrainingStage(value)) throw new AaclipError(`expected "text" or "image", got "${value}"`, source);
  return value;
}

/** The subset of `shapes` (adapterWeightShapes) that `stage` trains, in the same order. */
export function stageAdapterShapes(shapes: ExpectedShapes, stage: TrainingStage): ExpectedShapes {
  const prefix = STAGE_ADAPTER_PREFIX[stage];
  return new Map([...shapes].filter(([key]) => key.startsWith(prefix)));
}
