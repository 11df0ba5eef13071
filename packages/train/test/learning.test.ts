// Learning, not just arithmetic: both stages trained for a few epochs on a synthetic dataset
// (exact defect masks) make the loss fall and the training set's pixel AUROC rise over what the
// untrained (Xavier-initialised) adapters give.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnomalyDetector, adapterWeightShapes, parseAaclipSettings, parseTrainingSettings } from '@aaclip/core';
import type { TensorMap } from '@aaclip/core';
import { decodeImageFile, loadModelFiles } from '@aaclip/backend-node';
import { synthesizeDataset } from '@aaclip/datasets';
import { auroc } from '@aaclip/eval';
import { initialAdapters, loadTrainingData, loadTrainingImage, trainAdapters, trainLogPath } from '@aaclip/train';
import type { TrainingData } from '@aaclip/train';
import { fixtureFile, vocabPath } from '../../../test-support/fixture.js';
import { readTensorFile } from '../../../test-support/fixtureLoader.js';

const SIZE = 48;
const SEED = 7;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-learning-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function tinyModel(): Promise<Awaited<ReturnType<typeof loadModelFiles>>> {
  return loadModelFiles({ modelConfig: fixtureFile('open_clip_config.json'), weights: fixtureFile('clip.safetensors'), adapters: [], vocab: vocabPath });
}

/** Pixel AUROC over every training image's fused map against its mask, with the given adapters. */
async function trainingSetPixelAuroc(adapters: TensorMap, data: TrainingData): Promise<number> {
  const model = { ...(await tinyModel()), adapters };
  const detector = await AnomalyDetector.create(model, { settings: { imageSize: SIZE }, device: 'cpu' });
  try {
    const pixels = SIZE * SIZE;
    const scores = new Float32Array(data.examples.length * pixels);
    const labels = new Uint8Array(data.examples.length * pixels);
    for (const [i, example] of data.examples.entries()) {
      const [result] = await detector.detect([await decodeImageFile(example.imagePath)], example.promptName);
      scores.set(result!.anomalyMap, i * pixels);
      const { mask } = await loadTrainingImage(example, SIZE);
      mask.forEach((v, p) => (labels[i * pixels + p] = v));
    }
    return auroc(scores, labels)!;
  } finally {
    await detector.dispose();
  }
}

describe('training learns (synthetic dataset, tiny model at 48 px)', () => {
  it('lowers the loss and raises the training set\'s pixel AUROC over the untrained adapters', async () => {
    const root = path.join(work, 'synthetic');
    await synthesizeDataset(root, { classes: 1, images: 3, seed: SEED, size: 64 });
    const data = await loadTrainingData({ kind: 'mvtec', root });
    expect(data.examples.some((e) => e.label === 1)).toBe(true);

    const settings = parseAaclipSettings({ imageSize: SIZE }, 'test');
    const training = parseTrainingSettings({ text: { epochs: 2, batchSize: 4, learningRate: 1e-3 }, image: { epochs: 8, batchSize: 2 }, augment: false, seed: SEED }, 'test');
    const out = path.join(work, 'run');
    const model = await tinyModel();
    const result = await trainAdapters({ model, data, stages: ['text', 'image'], settings, training, outDir: out, device: 'cpu' });

    // The loss of the image stage, first epoch vs last (mean over each epoch's steps).
    const lines = (await readFile(trainLogPath(out), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { stage: string; epoch: number; loss: number });
    const meanLoss = (epoch: number): number => {
      const losses = lines.filter((l) => l.stage === 'image' && l.epoch === epoch).map((l) => l.loss);
      return losses.reduce((a, b) => a + b, 0) / losses.length;
    };
    const first = meanLoss(1);
    const last = meanLoss(training.image.epochs);

    const untrained = (await initialAdapters({ shapes: adapterWeightShapes(model.config, settings), seed: SEED })).tensors;
    const trained = readTensorFile(result.adaptersFile!);
    const before = await trainingSetPixelAuroc(untrained, data);
    const after = await trainingSetPixelAuroc(trained, data);
    console.log(`image-stage loss ${first.toFixed(4)} (epoch 1) → ${last.toFixed(4)} (epoch ${training.image.epochs}); training-set pixel AUROC ${before.toFixed(4)} untrained → ${after.toFixed(4)} trained`);
    expect(last).toBeLessThan(first);
    expect(after).toBeGreaterThan(before);
  }, 300_000);
});
