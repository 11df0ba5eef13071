import { AaclipError, type ExpectedShapes } from '@aaclip/core';

/** AA-CLIP's two training stages: the text adapters first, then the image adapters. */
export type TrainingStage = 'text' | 'image';

export const TRAINING_STAGES: readonly TrainingStage[] = ['text', 'image'];

/** The state-dict prefix of the adapters a stage trains (the reference's module names). */
export const STAGE_ADAPTER_PREFIX: Readonly<Record<TrainingStage, string>> = {
  text: 'text_adapter.',
  image: 'image_adapter.',
};

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
