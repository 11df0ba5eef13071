// aaclip detect decodes the next batch while the current one runs, and runs --batch-size images
// through the vision model together: the maps must be those of scoring each image on its own
// with the library, whatever the batch size, with a missing image in the middle listed and
// skipped.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageFile, startCachedDetector } from '@aaclip/backend-node';
import { maxAbsError } from '@aaclip/core/testing';
import { aaclip } from './runCli.js';
import { fixtureFile, vocabPath } from '../../../test-support/fixture.js';
import { readTensorFile } from '../../../test-support/fixtureLoader.js';

const IMAGES = ['img0.png', 'img1.png', 'img2.png'].map((f) => fixtureFile(`images/${f}`));
const FILES = {
  modelConfig: fixtureFile('open_clip_config.json'),
  weights: fixtureFile('clip.safetensors'),
  adapters: [fixtureFile('adapters.safetensors')],
  vocab: vocabPath,
};
const FLAGS = ['--model-config', FILES.modelConfig, '--weights', FILES.weights, '--adapters', FILES.adapters[0]!, '--vocab', vocabPath, '--image-size', '48', '--class-name', 'dark bottle'];

let work: string;
const sequential: Float32Array[] = [];

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-pipelined-'));
  // The reference: the library, one image per call, nothing overlapped.
  const { detector } = await startCachedDetector({ files: FILES, settings: { imageSize: 48 }, backend: 'node', device: 'cpu', cacheDir: null });
  try {
    for (const image of IMAGES) sequential.push((await detector.detect([await decodeImageFile(image)], 'dark bottle'))[0]!.anomalyMap);
  } finally {
    await detector.dispose();
  }
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe('aaclip detect: pipelined and batched', () => {
  for (const batch of ['1', '2', '3']) {
    it(`--batch-size ${batch} gives the maps of scoring each image alone`, async () => {
      const out = path.join(work, `batch-${batch}`);
      const missing = path.join(work, 'missing.png');
      const { code, stderr } = await aaclip('detect', ...FLAGS, '--batch-size', batch, '--out', out, IMAGES[0]!, missing, IMAGES[1]!, IMAGES[2]!);
      expect(code).toBe(1);
      expect(stderr).toContain(`${missing}: no such file`);
      const maps = readTensorFile(path.join(out, 'maps.safetensors'));
      expect([...maps.keys()]).toEqual(IMAGES);
      IMAGES.forEach((image, i) => expect(maxAbsError(maps.get(image)!.data as Float32Array, sequential[i]!)).toBeLessThan(1e-5));
    });
  }
});
