// The order examples are seen in: shuffled anew each epoch from the run's seed and the epoch
// number alone, so a resumed run sees exactly the batches an uninterrupted one would have.
import { SeededRandom } from '@aaclip/core';
import type { TrainingStage } from '../adapters/trainingStage.js';

/** Indices of the examples in each batch of `epoch` (1-based); the last batch may be smaller (PyTorch's default drop_last=False). */
export function epochBatches(count: number, batchSize: number, seed: number, stage: TrainingStage, epoch: number): number[][] {
  const order = Array.from({ length: count }, (_, i) => i);
  SeededRandom.fromSeed(seed).fork('shuffle').fork(stage).fork(epoch).shuffle(order);
  const batches: number[][] = [];
  for (let i = 0; i < count; i += batchSize) batches.push(order.slice(i, i + batchSize));
  return batches;
}

/** The augmentation stream of one example in one epoch. */
export function augmentationRandom(seed: number, stage: TrainingStage, epoch: number, example: number): SeededRandom {
  return SeededRandom.fromSeed(seed).fork('augment').fork(stage).fork(epoch).fork(example);
}
