// `aaclip detect --adapters adapters_relu.safetensors`: the reference's --relu variant, recognised
// from its keys, gives golden_relu.safetensors' map and score (img2.png needs no resize, so the
// README's 1e-3 / 1e-5 hold for it).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxAbsError } from '@aaclip/core/testing';
import { aaclip } from './runCli.js';
import { fixtureFile, vocabPath } from '../../../test-support/fixture.js';
import { fixtureTensors, readTensorFile } from '../../../test-support/fixtureLoader.js';

const MAP_TOLERANCE = 1e-3;
const IMAGE_SCORE_TOLERANCE = 1e-5;
const IMAGE = fixtureFile('images/img2.png');

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-relu-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('aaclip detect --adapters adapters_relu.safetensors', () => {
  it('matches golden_relu: map within 1e-3, image score within 1e-5', async () => {
    const out = path.join(work, 'relu');
    const r = await aaclip('detect', '--model-config', fixtureFile('open_clip_config.json'), '--weights', fixtureFile('clip.safetensors'),
      '--vocab', vocabPath, '--image-size', '48', '--class-name', 'dark bottle', '--adapters', fixtureFile('adapters_relu.safetensors'), '--out', out, IMAGE);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const golden = fixtureTensors('golden_relu.safetensors');
    const goldenMap = (golden.get('anomaly_map')!.data as Float32Array).subarray(2 * 48 * 48, 3 * 48 * 48);
    const map = readTensorFile(path.join(out, 'maps.safetensors')).get(IMAGE)!.data as Float32Array;
    expect(maxAbsError(map, goldenMap)).toBeLessThan(MAP_TOLERANCE);
    const scores = JSON.parse(await readFile(path.join(out, 'scores.json'), 'utf8')) as { image_score: number }[];
    expect(Math.abs(scores[0]!.image_score - (golden.get('image_score')!.data as Float32Array)[2]!)).toBeLessThan(IMAGE_SCORE_TOLERANCE);
  });
});
