// What each stage's step is fed: images and masks as the reference's data pipeline makes them
// (colour jitter on the 8-bit image, resize and normalise, then the geometric transforms on
// image and mask together), the frozen stage-1 image features, and the per-class text inputs.
import {
  AaclipError,
  TEXT_INPUT,
  TEXT_OUTPUT,
  VISION_INPUT,
  augmentGeometric,
  buildSurgeryVisionModel,
  buildTextModel,
  computeTextAnchors,
  expandPrompts,
  jitterColors,
  passesForDevice,
  surgeryFeaturesOutput,
} from '@aaclip/core';
import type { AaclipSettings, Backend, BackendSession, ClipTokenizer, PromptSet, SessionOptions, Tensor, TensorMap, TrainingSettings } from '@aaclip/core';
import type { TrainingStage } from '../adapters/trainingStage.js';
import { loadTrainingImage } from '../data/loadTrainingImage.js';
import type { TrainingExample } from '../data/trainingExample.js';
import { trainingPixels } from '../data/trainingPixels.js';
import { augmentationRandom } from './batches.js';
import type { TrainingModel } from './trainingModel.js';

/** One example ready for a step: normalised pixels [3, S, S] and its 0/1 mask [S, S]. */
export interface PreparedExample {
  readonly pixels: Float32Array;
  readonly mask: Float32Array;
}

export interface PrepareOptions {
  readonly stage: TrainingStage;
  readonly epoch: number;
  readonly index: number;
  readonly size: number;
  readonly training: TrainingSettings;
  readonly preprocess: TrainingModel['preprocess'];
}

/** Decodes and augments one example as the reference's dataset does for a stage. */
export async function prepareExample(example: TrainingExample, options: PrepareOptions): Promise<PreparedExample> {
  const { training, size, stage } = options;
  const image = await loadTrainingImage(example, size);
  const rng = augmentationRandom(training.seed, stage, options.epoch, options.index);
  const jitter = training.augment && (stage === 'text' ? training.text.colorJitter : training.image.colorJitter);
  const rgb = jitter ? jitterColors(image.rgb, rng.fork('color'), training.colorJitter) : image.rgb;
  const pixels = trainingPixels(rgb, size, options.preprocess, example.imagePath);
  if (!training.augment) return { pixels, mask: image.mask };
  return augmentGeometric(pixels, image.mask, size, rng.fork('geometric'), training.geometric);
}

/** Stacks equally sized arrays into one [n, ...shape] tensor. */
export function stack(parts: readonly Float32Array[], shape: readonly number[]): Tensor {
  const each = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(parts.length * each);
  parts.forEach((p, i) => {
    if (p.length !== each) throw new AaclipError(`expected ${each} values, got ${p.length}`, 'training batch');
    data.set(p, i * each);
  });
  return { dtype: 'F32', shape: [parts.length, ...shape], data };
}

/** One-hot rows [n, width] (F32). */
export function oneHot(indices: readonly number[], width: number): Tensor {
  const data = new Float32Array(indices.length * width);
  indices.forEach((k, i) => (data[i * width + k] = 1));
  return { dtype: 'F32', shape: [indices.length, width], data };
}

/** Every class's prompts, tokenised into one [C·P, context] block (each class's normal prompts first). */
export function classPromptIds(tokenizer: ClipTokenizer, promptNames: readonly string[], promptSet: PromptSet, context: number): { ids: Tensor; normalCount: number; abnormalCount: number } {
  const expanded = promptNames.map((name) => expandPrompts(promptSet, name));
  const { normalCount, abnormalCount } = expanded[0]!;
  const { ids, shape } = tokenizer.encodeBatch(expanded.flatMap((e) => e.prompts), { contextLength: context });
  return { ids: { dtype: 'I64', shape, data: ids }, normalCount, abnormalCount };
}

/**
 * The frozen stage-1 image features (the V-V-attention "surgery" CLIP, blocks from
 * `surgeryFromBlock` on) of the levels that count, each with the plain model's CLS embedding
 * added.
 */
export class SurgeryFeatures {
  private constructor(
    private readonly session: BackendSession,
    private readonly levels: readonly number[],
    private readonly size: number,
  ) {}

  static async create(model: TrainingModel, settings: AaclipSettings, training: TrainingSettings, levels: readonly number[], backend: Backend, options: SessionOptions): Promise<SurgeryFeatures> {
    const onnx = buildSurgeryVisionModel(model.config, model.weights, settings, {
      surgeryFromBlock: training.text.surgeryFromBlock,
      weightsSource: model.sources?.weights,
      // Inference only (no gradient flows through the frozen features): the device's fusions apply.
      passes: passesForDevice(backend, options.device),
    });
    const session = await backend.createSession(onnx, options);
    return new SurgeryFeatures(session, levels, settings.imageSize);
  }

  /** Per image, one [g², E] array per counted level. */
  async compute(pixels: readonly Float32Array[]): Promise<Float32Array[][]> {
    const out = await this.session.run({ [VISION_INPUT]: stack(pixels, [3, this.size, this.size]) });
    const perLevel = this.levels.map((k) => {
      const t = out[surgeryFeaturesOutput(k)];
      if (!t) throw new AaclipError(`the surgery model returned no "${surgeryFeaturesOutput(k)}"`, 'stage 1 features');
      return t.data as Float32Array;
    });
    return pixels.map((_, i) =>
      perLevel.map((level) => {
        const each = level.length / pixels.length;
        return level.slice(i * each, (i + 1) * each);
      }),
    );
  }

  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}

/**
 * Each class's anchors [E, 2] from the adapted text tower with the given (frozen) text adapters —
 * stage 2's targets, computed once as the reference does after stage 1.
 */
export async function classAnchorsFor(
  model: TrainingModel,
  adapters: TensorMap,
  settings: AaclipSettings,
  promptSet: PromptSet,
  promptNames: readonly string[],
  backend: Backend,
  options: SessionOptions,
): Promise<Float32Array[]> {
  const onnx = buildTextModel(model.config, model.weights, adapters, settings, {
    weightsSource: model.sources?.weights,
    passes: passesForDevice(backend, options.device),
  });
  const session = await backend.createSession(onnx, options);
  try {
    const anchors: Float32Array[] = [];
    for (const name of promptNames) {
      const { prompts, normalCount, abnormalCount } = expandPrompts(promptSet, name);
      const { ids, shape } = model.tokenizer.encodeBatch(prompts, { contextLength: model.config.text_cfg.context_length });
      const out = await session.run({ [TEXT_INPUT]: { dtype: 'I64', shape, data: ids } });
      const embeds = out[TEXT_OUTPUT];
      if (!embeds) throw new AaclipError(`the text model returned no "${TEXT_OUTPUT}"`, 'stage 2 anchors');
      anchors.push(computeTextAnchors(embeds.data as Float32Array, model.config.embed_dim, normalCount, abnormalCount));
    }
    return anchors;
  } finally {
    await session.dispose();
  }
}
