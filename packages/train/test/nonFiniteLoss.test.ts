// A loss that stops being finite stops the run, naming the step and the last good checkpoint
// (weights are refused at load when they hold NaN, so the loss is driven to overflow with
// finite but huge text-adapter weights).
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterWeightShapes, parseAaclipSettings, parseTrainingSettings, writeSafetensors } from '@aaclip/core';
import type { TensorMap } from '@aaclip/core';
import { loadModelFiles } from '@aaclip/backend-node';
import { loadTrainingData, trainAdapters } from '@aaclip/train';
import { fixtureFile, sharedDir, vocabPath } from '../../../test-support/fixture.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-nan-loss-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('a loss that becomes NaN or infinite', () => {
  it('stops the run with the step, the loss parts and the last good checkpoint named, and writes no adapters', async () => {
    const model = await loadModelFiles({ modelConfig: fixtureFile('open_clip_config.json'), weights: fixtureFile('clip.safetensors'), adapters: [], vocab: vocabPath });
    const settings = parseAaclipSettings({ imageSize: 48 }, 'test');
    const huge: TensorMap = new Map();
    for (const [key, shape] of adapterWeightShapes(model.config, settings)) {
      if (key.startsWith('text_adapter.')) huge.set(key, { dtype: 'F32', shape, data: new Float32Array(shape[0]! * shape[1]!).fill(3e38) });
    }
    const init = path.join(work, 'huge.safetensors');
    await writeFile(init, writeSafetensors(huge));
    const data = await loadTrainingData({ kind: 'mvtec', root: path.join(sharedDir, 'fixtures/tiny-train/mvtec') });
    const out = path.join(work, 'run');
    const run = trainAdapters({
      model, data, stages: ['text'], settings,
      training: parseTrainingSettings({ text: { epochs: 1, batchSize: 4 }, augment: false }, 'test'),
      initAdapterFiles: [init], outDir: out, device: 'cpu',
    });
    await expect(run).rejects.toThrow(/^text stage: the loss became (NaN|Infinity|-Infinity) at step 1 \(epoch 1, batch 1; loss_\w+ .*\); no checkpoint was written yet$/);
    expect((await readdir(out).catch(() => [])).filter((f) => f !== 'train.log')).toEqual([]);
  });
});
