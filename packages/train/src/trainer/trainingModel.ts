import type { DetectorModel } from '@aaclip/core';

/** What a training run reads: a CLIP model (config, preprocessing, weights, tokenizer); adapters come separately. */
export type TrainingModel = Pick<DetectorModel, 'config' | 'preprocess' | 'weights' | 'tokenizer' | 'sources'>;
