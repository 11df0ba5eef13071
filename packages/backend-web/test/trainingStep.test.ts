// The same training-step model on web/wasm (in Node) and on node/cpu: the losses and every
// adapter gradient agree to float32 rounding (1e-5 relative by norm).
import { describe, expect, it } from 'vitest';
import { TrainingSettings, buildImageTrainingStep } from '@aaclip/core';
import type { Backend, Tensor, TrainingStepModel } from '@aaclip/core';
import { createNodeBackend } from '@aaclip/backend-node';
import { createWebBackend } from '@aaclip/backend-web';
import { goldenFloats, loadFixture } from '../../../test-support/fixtureLoader.js';

const AGREEMENT = 1e-5;
const BATCH = 3;

function feeds(step: TrainingStepModel): Record<string, Tensor> {
  const f = loadFixture();
  const size = f.settings.imageSize;
  const embed = f.config.embed_dim;
  const anchors = goldenFloats(f, 'text_anchors');
  const perImage = new Float32Array(BATCH * anchors.length);
  for (let b = 0; b < BATCH; b++) perImage.set(anchors, b * anchors.length);
  const labels = f.golden.get('train_labels')!.data as BigInt64Array;
  const oneHot = new Float32Array(BATCH * 2);
  labels.forEach((label, i) => (oneHot[i * 2 + Number(label)] = 1));
  const out: Record<string, Tensor> = {
    pixel_values: { dtype: 'F32', shape: [BATCH, 3, size, size], data: goldenFloats(f, 'pixel_values') },
    anchors: { dtype: 'F32', shape: [BATCH, embed, 2], data: perImage },
    label_one_hot: { dtype: 'F32', shape: [BATCH, 2], data: oneHot },
    masks: { dtype: 'F32', shape: [BATCH, size, size], data: goldenFloats(f, 'train_masks') },
  };
  for (const key of step.trainable) out[key] = f.adapters.get(key)!;
  return out;
}

async function run(backend: Backend, device: string, step: TrainingStepModel): Promise<Record<string, Tensor>> {
  await backend.init(device);
  const session = await backend.createSession(step.onnx, { device });
  try {
    return await session.run(feeds(step));
  } finally {
    await session.dispose();
  }
}

function relativeByNorm(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  return Math.sqrt(diff / norm);
}

describe('training step on web/wasm vs node/cpu', () => {
  it('gives the node/cpu loss and gradients (stage 2, gradient checkpointing on)', async () => {
    const f = loadFixture();
    const step = buildImageTrainingStep(
      { config: f.config, weights: f.clip, adapters: f.adapters, settings: f.settings, training: TrainingSettings.parse({}), batchSize: BATCH },
      { checkpointing: true },
    );
    const web = await run(createWebBackend(), 'wasm', step);
    const node = await run(createNodeBackend(), 'cpu', step);
    const lossWeb = (web[step.lossOutput]!.data as Float32Array)[0]!;
    const lossNode = (node[step.lossOutput]!.data as Float32Array)[0]!;
    expect(Math.abs(lossWeb - lossNode) / Math.abs(lossNode)).toBeLessThan(AGREEMENT);
    let worst = 0;
    for (const key of step.trainable) {
      const name = step.gradientOutputs.get(key)!;
      const error = relativeByNorm(web[name]!.data as Float32Array, node[name]!.data as Float32Array);
      worst = Math.max(worst, error);
      expect(error, key).toBeLessThan(AGREEMENT);
    }
    console.log(`web/wasm vs node/cpu: loss ${lossWeb} vs ${lossNode}, worst gradient difference ${worst.toExponential(2)} (relative by norm)`);
  });
});
