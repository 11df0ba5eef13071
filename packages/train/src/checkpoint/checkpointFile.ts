import { readFile } from 'node:fs/promises';
import {
  AaclipError,
  adamStateKeys,
  checkTensorShapes,
  readSafetensors,
  writeSafetensors,
  type ExpectedShapes,
  type TensorMap,
} from '@aaclip/core';
import { writeFileAtomic } from '@aaclip/backend-node';
import { isTrainingStage, stageAdapterShapes, type TrainingStage } from '../adapters/trainingStage.js';

/** Written into every checkpoint's `__metadata__`; a reader refuses other formats and newer versions. */
export const CHECKPOINT_FORMAT = 'aaclip-train-checkpoint';
export const CHECKPOINT_FORMAT_VERSION = 1;

/** Everything a run needs to continue a stage where it stopped. */
export interface TrainingCheckpoint {
  readonly stage: TrainingStage;
  /** Epochs of `stage` completed. */
  readonly epoch: number;
  /** Optimizer steps taken in `stage` (what MultiStepLR counts). */
  readonly globalStep: number;
  /** The run's seed. */
  readonly seed: number;
  /** Every adapter weight (text_adapter.* and image_adapter.*), the reference's key names. */
  readonly adapters: TensorMap;
  /**
   * Adam's state for the weights `stage` trains, as core's `Adam.state()` gives it and
   * `Adam.loadState()` takes it: `<weight>.exp_avg`, `<weight>.exp_avg_sq` (the weight's shape)
   * and `<weight>.step` (a scalar).
   */
  readonly optimizer: TensorMap;
}

/** Prefix of the optimizer's entries in the file, keeping them apart from the adapters. */
const OPTIMIZER_PREFIX = 'optimizer.';

/**
 * A checkpoint as one safetensors file: the adapters under their own names, Adam's state under
 * `optimizer.<weight>.exp_avg` / `.exp_avg_sq` / `.step`, and stage, epoch, step, seed and format version
 * in `__metadata__`.
 */
export function checkpointBytes(checkpoint: TrainingCheckpoint): Uint8Array {
  const tensors: TensorMap = new Map(checkpoint.adapters);
  for (const [key, tensor] of checkpoint.optimizer) tensors.set(`${OPTIMIZER_PREFIX}${key}`, tensor);
  return writeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    format_version: String(CHECKPOINT_FORMAT_VERSION),
    stage: checkpoint.stage,
    epoch: String(checkpoint.epoch),
    global_step: String(checkpoint.globalStep),
    seed: String(checkpoint.seed),
  });
}

/** Writes a checkpoint atomically: a reader (or a resumed run) sees the previous file or the whole new one. */
export async function writeCheckpoint(file: string, checkpoint: TrainingCheckpoint): Promise<void> {
  await writeFileAtomic(file, checkpointBytes(checkpoint));
}

function metadataInteger(metadata: Record<string, string>, key: string, source: string): number {
  const text = metadata[key];
  if (text === undefined) throw new AaclipError(`not a training checkpoint: __metadata__ lacks "${key}"`, source);
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
    throw new AaclipError(`__metadata__ "${key}" is "${text}", not a whole number`, source);
  }
  return value;
}

/**
 * Parses a checkpoint's bytes and checks every tensor against `adapterShapes` (adapterWeightShapes
 * of the model being trained): a missing tensor, a shape from another model size or an unknown
 * tensor fails naming it (and both shapes). `source` names the file.
 */
export function checkpointFromBytes(bytes: Uint8Array, source: string, adapterShapes: ExpectedShapes): TrainingCheckpoint {
  const { tensors, metadata } = readSafetensors(bytes, source);
  if (metadata['format'] !== CHECKPOINT_FORMAT) {
    throw new AaclipError(`not a training checkpoint (__metadata__ "format" is ${JSON.stringify(metadata['format'] ?? null)}, expected "${CHECKPOINT_FORMAT}")`, source);
  }
  const version = metadataInteger(metadata, 'format_version', source);
  if (version > CHECKPOINT_FORMAT_VERSION) {
    throw new AaclipError(`checkpoint format version ${version} is newer than this program reads (${CHECKPOINT_FORMAT_VERSION})`, source);
  }
  const stage = metadata['stage'];
  if (!isTrainingStage(stage)) throw new AaclipError(`__metadata__ "stage" is ${JSON.stringify(stage ?? null)}, expected "text" or "image"`, source);

  // Adam's state of every weight the stage trains, keyed as in the file.
  const optimizerShapes: ExpectedShapes = new Map();
  for (const [weight, shape] of stageAdapterShapes(adapterShapes, stage)) {
    const keys = adamStateKeys(weight);
    optimizerShapes.set(`${OPTIMIZER_PREFIX}${keys.expAvg}`, shape);
    optimizerShapes.set(`${OPTIMIZER_PREFIX}${keys.expAvgSq}`, shape);
    optimizerShapes.set(`${OPTIMIZER_PREFIX}${keys.step}`, []);
  }
  const unknown = [...tensors.keys()].find((key) => !adapterShapes.has(key) && !optimizerShapes.has(key));
  if (unknown !== undefined) throw new AaclipError(`unexpected tensor "${unknown}" (not an adapter weight of this model, nor Adam state of the ${stage} stage)`, source);

  const adapters = checkTensorShapes(adapterShapes, tensors, source);
  const optimizer: TensorMap = new Map();
  for (const [key, tensor] of checkTensorShapes(optimizerShapes, tensors, source)) optimizer.set(key.slice(OPTIMIZER_PREFIX.length), tensor);
  return {
    stage,
    epoch: metadataInteger(metadata, 'epoch', source),
    globalStep: metadataInteger(metadata, 'global_step', source),
    seed: metadataInteger(metadata, 'seed', source),
    adapters,
    optimizer,
  };
}

/** Reads and checks a checkpoint file (see checkpointFromBytes); a missing, truncated or corrupt file fails naming it. */
export async function readCheckpoint(file: string, adapterShapes: ExpectedShapes): Promise<TrainingCheckpoint> {
  let bytes: Uint8Array;
  try {
    const buffer = await readFile(file);
    bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AaclipError(code === 'ENOENT' ? 'no such file' : `cannot read the checkpoint (${code ?? String(err)})`, file);
  }
  return checkpointFromBytes(bytes, file, adapterShapes);
}
