// The training-step models of both stages against the reference's one step on the fixture batch:
// loss within 1e-4 relative, every adapter's gradient within 1e-3 relative (by norm) — with and
// without gradient checkpointing.
import { describe, expect, it } from 'vitest';
import { TrainingSettings, buildImageTrainingStep, buildTextTrainingStep } from '@aaclip/core';
import type { TensorMap, TrainingStepModel } from '@aaclip/core';
import type * as ort from 'onnxruntime-node';
import { goldenFloats, loadFixture } from '../../../../test-support/fixtureLoader.js';
import { floatTensor, int64Tensor, runOnnx } from '../graph/runOnnx.js';
import { LOSS_TOLERANCE, floats, masksFeed, oneHotLabels, relativeError, scalarOf, trainTensors } from './stagesFixture.js';

const GRADIENT_TOLERANCE = 1e-3;
const BATCH = 3;
const TOKENS = 36;
const EMBED = 48;

/** ‖a − b‖ / ‖b‖. */
function relativeByNorm(actual: Float32Array, expected: Float32Array): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    diff += (actual[i]! - expected[i]!) ** 2;
    norm += expected[i]! ** 2;
  }
  return actual.length === expected.length ? Math.sqrt(diff / norm) : Infinity;
}

function trainableFeeds(step: TrainingStepModel): Record<string, ort.Tensor> {
  const adapters = loadFixture().adapters;
  return Object.fromEntries(step.trainable.map((key) => {
    const t = adapters.get(key)!;
    return [key, floatTensor(t.data as Float32Array, t.shape)];
  }));
}

async function checkStep(step: TrainingStepModel, feeds: Record<string, ort.Tensor>, golden: TensorMap, prefix: string, label: string): Promise<void> {
  const out = await runOnnx(step.onnx, { ...feeds, ...trainableFeeds(step) });
  const expectedLoss = floats(golden, `${prefix}_loss`)[0]!;
  const lossError = relativeError(scalarOf(out[step.lossOutput]!), expectedLoss);
  const errors: string[] = [];
  let worst = 0;
  for (const key of step.trainable) {
    const error = relativeByNorm(out[step.gradientOutputs.get(key)!]!.data as Float32Array, floats(golden, `${prefix}_grad.${key}`));
    errors.push(`${key.replace(/^(text|image)_adapter\./, '')} ${error.toExponential(1)}`);
    worst = Math.max(worst, error);
    expect(error, key).toBeLessThan(GRADIENT_TOLERANCE);
  }
  console.log(`${label}: loss relative error ${lossError.toExponential(2)}, worst gradient ${worst.toExponential(2)} (${errors.join(', ')})`);
  expect(lossError).toBeLessThan(LOSS_TOLERANCE);
}

function textFeeds(featureSource: TensorMap, prefix: string): Record<string, ort.Tensor> {
  const tokens = loadFixture().golden.get('prompt_tokens')!;
  return {
    input_ids: int64Tensor(tokens.data as BigInt64Array, tokens.shape),
    class_one_hot: floatTensor(new Float32Array(BATCH).fill(1), [BATCH, 1]),
    masks: masksFeed(),
    patch_features_3: floatTensor(floats(featureSource, `${prefix}3`), [BATCH, TOKENS, EMBED]),
  };
}

function imageFeeds(anchors: Float32Array): Record<string, ort.Tensor> {
  const perImage = new Float32Array(BATCH * anchors.length);
  for (let b = 0; b < BATCH; b++) perImage.set(anchors, b * anchors.length);
  return {
    pixel_values: floatTensor(goldenFloats(loadFixture(), 'pixel_values'), [BATCH, 3, 48, 48]),
    anchors: floatTensor(perImage, [BATCH, EMBED, 2]),
    label_one_hot: oneHotLabels(2),
    masks: masksFeed(),
  };
}

function textStep(checkpointing: boolean): TrainingStepModel {
  const f = loadFixture();
  return buildTextTrainingStep(
    { config: f.config, weights: f.clip, adapters: f.adapters, settings: f.settings, training: TrainingSettings.parse({}), batchSize: BATCH, classCount: 1, prompts: { normalCount: 6, abnormalCount: 10 } },
    { checkpointing },
  );
}

function imageStep(checkpointing: boolean): TrainingStepModel {
  const f = loadFixture();
  return buildImageTrainingStep(
    { config: f.config, weights: f.clip, adapters: f.adapters, settings: f.settings, training: TrainingSettings.parse({}), batchSize: BATCH },
    { checkpointing },
  );
}

describe('stage 1 training step (text adapters)', () => {
  it('trains exactly the four text adapters and takes the data inputs of the loss graph', () => {
    const step = textStep(false);
    expect(step.trainable).toEqual([0, 1, 2, 3].map((i) => `text_adapter.${i}.fc.0.weight`));
    expect(step.dataInputs).toEqual(['input_ids', 'class_one_hot', 'patch_features_3', 'masks']);
  });

  for (const checkpointing of [false, true]) {
    it(`golden.safetensors: loss and gradients from stage1_patch_features${checkpointing ? ' (gradient checkpointing)' : ''}`, async () => {
      await checkStep(textStep(checkpointing), textFeeds(loadFixture().golden, 'stage1_patch_features_'), loadFixture().golden, 'stage1', `stage 1${checkpointing ? ' checkpointed' : ''}`);
    });
  }

  it('train.safetensors: loss and gradients from the surgery features', async () => {
    await checkStep(textStep(false), textFeeds(trainTensors(), 'stage1_surgery_features_'), trainTensors(), 'stage1', 'stage 1 (surgery features)');
  });
});

describe('stage 2 training step (image adapters)', () => {
  it('trains exactly the eleven image adapters', () => {
    const step = imageStep(false);
    expect(step.trainable).toHaveLength(11);
    expect(step.trainable.every((k) => k.startsWith('image_adapter.'))).toBe(true);
    expect(step.dataInputs).toEqual(['pixel_values', 'anchors', 'label_one_hot', 'masks']);
  });

  for (const checkpointing of [false, true]) {
    it(`golden.safetensors: loss and gradients${checkpointing ? ' (gradient checkpointing)' : ''}`, async () => {
      await checkStep(imageStep(checkpointing), imageFeeds(goldenFloats(loadFixture(), 'text_anchors')), loadFixture().golden, 'stage2', `stage 2${checkpointing ? ' checkpointed' : ''}`);
    });
  }

  it('train.safetensors: loss and gradients with stage2_anchors', async () => {
    await checkStep(imageStep(false), imageFeeds(floats(trainTensors(), 'stage2_anchors')), trainTensors(), 'stage2', 'stage 2 (train.safetensors)');
  });
});
