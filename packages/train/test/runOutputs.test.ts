import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnomalyDetector } from '@aaclip/core';
import { decodeImageFile, loadModelFiles } from '@aaclip/backend-node';
import { appendTrainLog, FINAL_ADAPTERS_FILE, initialAdapters, trainLogPath, writeFinalAdapters } from '@aaclip/train';
import { fixtureFile, vocabPath } from '../../../test-support/fixture.js';
import { fixtureTensors, readTensorFile } from '../../../test-support/fixtureLoader.js';
import { tinyAdapterShapes } from './modelShapes.js';
import { maxAbsError } from '@aaclip/core/testing';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-train-out-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('train.log', () => {
  it('appends one JSON line per entry: stage, epoch, step, loss, lr, images per second, time', async () => {
    const out = path.join(work, 'log-run');
    await appendTrainLog(out, { stage: 'text', epoch: 1, step: 1, loss: 0.75, lr: 1e-5, imagesPerSecond: 3.5, time: '2025-01-02T03:04:05.000Z' });
    await appendTrainLog(out, { stage: 'image', epoch: 2, step: 9, loss: Number.NaN, lr: 5e-4, imagesPerSecond: 1 });
    const lines = (await readFile(trainLogPath(out), 'utf8')).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(lines[0]).toBe('{"stage":"text","epoch":1,"step":1,"loss":0.75,"lr":0.00001,"imagesPerSecond":3.5,"time":"2025-01-02T03:04:05.000Z"}');
    const second = JSON.parse(lines[1]!) as Record<string, unknown>;
    expect(second).toMatchObject({ stage: 'image', epoch: 2, step: 9, loss: null, lr: 5e-4, imagesPerSecond: 1 });
    expect(Number.isNaN(Date.parse(String(second['time'])))).toBe(false);
  });
});

describe('the trained adapters file', () => {
  it('is what `aaclip detect --adapters` loads: the detector gives the reference\'s maps with it', async () => {
    const shapes = await tinyAdapterShapes();
    // The reference's two .pth files, as a run that started from them and trained nothing would leave them.
    const { tensors } = await initialAdapters({ shapes, seed: 1, files: [fixtureFile('text_adapter.pth'), fixtureFile('image_adapter_20.pth')] });
    const out = path.join(work, 'final-run');
    const file = await writeFinalAdapters(out, tensors, shapes);
    expect(file).toBe(path.join(out, FINAL_ADAPTERS_FILE));
    const written = readTensorFile(file);
    expect([...written.keys()]).toEqual([...shapes.keys()]);

    const model = await loadModelFiles({ modelConfig: fixtureFile('open_clip_config.json'), weights: fixtureFile('clip.safetensors'), adapters: [file], vocab: vocabPath });
    const detector = await AnomalyDetector.create(model, { settings: { imageSize: 48, domain: 'industrial' }, backend: 'node', device: 'cpu' });
    try {
      const [detection] = await detector.detect([await decodeImageFile(fixtureFile('images/img2.png'))], 'dark bottle');
      const golden = fixtureTensors('golden.safetensors');
      const map = (golden.get('anomaly_map')!.data as Float32Array).subarray(2 * 48 * 48, 3 * 48 * 48);
      expect(maxAbsError(detection!.anomalyMap, map)).toBeLessThan(1e-3);
      expect(Math.abs(detection!.imageScore - (golden.get('image_score')!.data as Float32Array)[2]!)).toBeLessThan(1e-5);
    } finally {
      await detector.dispose();
    }
  });

  it('refuses weights of the wrong shape before writing anything', async () => {
    const shapes = await tinyAdapterShapes();
    const { tensors } = await initialAdapters({ shapes, seed: 1 });
    const wrong = new Map(tensors);
    wrong.set('image_adapter.det_proj.fc.weight', { dtype: 'F32', shape: [2, 2], data: new Float32Array(4) });
    const out = path.join(work, 'refused-run');
    await expect(writeFinalAdapters(out, wrong, shapes)).rejects.toThrowError(/image_adapter\.det_proj\.fc\.weight has shape \[2, 2\]/);
    await expect(readFile(path.join(out, FINAL_ADAPTERS_FILE))).rejects.toThrow(/ENOENT/);
  });
});
