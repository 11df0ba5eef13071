// `aaclip detect --zero-shot surgery`: the training-free baseline for users with only CLIP weights.
// img2.png needs no resize, so its map and score are checked against scoreImage on the reference's
// stage-1 surgery features (train.safetensors) and plain text anchors (golden.safetensors).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAaclipSettings, scoreImage, settingsBlur, type TensorMap } from '@aaclip/core';
import { aaclip } from './runCli.js';
import { fixtureFile, vocabPath } from '../../../test-support/fixture.js';
import { fixtureTensors, readTensorFile } from '../../../test-support/fixtureLoader.js';
import { maxAbsError } from '@aaclip/core/testing';

// README tolerances.
const MAP_TOL = 1e-3;
const IMAGE_SCORE_TOL = 1e-5;
const SIZE = 48;
const TOKENS = 36 * 48;

const IMAGES = ['img0.png', 'img1.png', 'img2.png'].map((f) => fixtureFile(`images/${f}`));
const MODEL_FLAGS = [
  '--model-config', fixtureFile('open_clip_config.json'),
  '--weights', fixtureFile('clip.safetensors'),
  '--vocab', vocabPath,
  '--image-size', String(SIZE),
  '--class-name', 'dark bottle',
];

let work: string;

const floats = (tensors: TensorMap, name: string): Float32Array => tensors.get(name)!.data as Float32Array;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-zero-shot-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('aaclip detect --zero-shot', () => {
  it('surgery: writes scores, maps and heatmaps; img2 matches the reference features scored against the plain anchors', async () => {
    const out = path.join(work, 'surgery');
    const r = await aaclip('detect', ...MODEL_FLAGS, '--zero-shot', 'surgery', '--out', out, ...IMAGES);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['img0.png', 'img1.png', 'img2.png', 'maps.safetensors', 'scores.json']);
    const scores = JSON.parse(await readFile(path.join(out, 'scores.json'), 'utf8')) as { image: string; image_score: number; pixel_max: number }[];
    expect(scores.map((s) => s.image)).toEqual(IMAGES);
    expect(scores.every((s) => Number.isFinite(s.image_score) && Number.isFinite(s.pixel_max))).toBe(true);

    const train = fixtureTensors('train.safetensors');
    const golden = fixtureTensors('golden.safetensors');
    const settings = parseAaclipSettings({ imageSize: SIZE }, 'settings');
    const expected = scoreImage({
      segTokens: [0, 1, 2, 3].map((k) => floats(train, `stage1_surgery_features_${k}`).subarray(2 * TOKENS, 3 * TOKENS)),
      detToken: floats(train, 'stage1_cls_embedding').subarray(2 * 48, 3 * 48),
      anchors: floats(golden, 'text_anchors_plain'),
      embed: 48,
      grid: 6,
      imageSize: SIZE,
      blur: settingsBlur(settings),
      similarityScale: settings.similarityScale,
    });
    const map = readTensorFile(path.join(out, 'maps.safetensors')).get(IMAGES[2]!)!.data as Float32Array;
    const mapError = maxAbsError(map, expected.anomalyMap);
    const scoreError = Math.abs(scores[2]!.image_score - expected.imageScore);
    console.log(`detect --zero-shot surgery, img2: map max abs error ${mapError.toExponential(2)}, image score ${scoreError.toExponential(2)}`);
    expect(mapError).toBeLessThan(MAP_TOL);
    expect(scoreError).toBeLessThan(IMAGE_SCORE_TOL);

    // Plain CLIP (the default without adapters) is a different model, so a different map.
    const plainOut = path.join(work, 'plain');
    const plain = await aaclip('detect', ...MODEL_FLAGS, '--zero-shot', 'plain', '--out', plainOut, IMAGES[2]!);
    expect(plain.code).toBe(0);
    const plainMap = readTensorFile(path.join(plainOut, 'maps.safetensors')).get(IMAGES[2]!)!.data as Float32Array;
    const difference = maxAbsError(plainMap, map); // Infinity on a length mismatch or NaN
    expect(difference).toBeGreaterThan(MAP_TOL);
    expect(difference).toBeLessThan(Infinity);
  });

  async function expectOneLineRefusal(args: string[], ...mustMention: string[]): Promise<void> {
    const out = path.join(work, `refused-${Math.random().toString(36).slice(2)}`);
    const r = await aaclip('detect', ...MODEL_FLAGS, ...args, '--out', out, IMAGES[2]!);
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    for (const m of mustMention) expect(lines[0]).toContain(m);
    await expect(readdir(out)).rejects.toThrow(); // nothing written, not even the folder
  }

  it('refuses --zero-shot together with --adapters, and an unknown mode, in one line', async () => {
    const adapters = fixtureFile('adapters.safetensors');
    await expectOneLineRefusal(['--zero-shot', 'surgery', '--adapters', adapters], '--zero-shot', '--adapters', adapters);
    await expectOneLineRefusal(['--zero-shot', 'clever'], '--zero-shot', 'plain or surgery', '"clever"');
  });
});
