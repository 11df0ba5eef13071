import { copyFile, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSafetensors, type TensorMap } from '@aaclip/core';
import { aaclip } from './runCli.js';
import { fixtureFile, vocabPath } from '../../../test-support/fixture.js';
import { fixtureTensors, readTensorFile } from '../../../test-support/fixtureLoader.js';
import { maxAbsError } from '@aaclip/core/testing';

// Tolerances of the fixture README for `aaclip detect` on the PNG files.
const NO_RESIZE_MAP_TOL = 1e-3; // img2.png needs no resize
const RESIZED_MAP_REL_TOL = 0.02; // of the golden map's range, for the resized images
const IMAGE_SCORE_TOL = 1e-5;

const IMAGES = ['img0.png', 'img1.png', 'img2.png'].map((f) => fixtureFile(`images/${f}`));
const MODEL_FLAGS = [
  '--model-config', fixtureFile('open_clip_config.json'),
  '--weights', fixtureFile('clip.safetensors'),
  '--vocab', vocabPath,
  '--image-size', '48',
  '--class-name', 'dark bottle',
];

let work: string;
let golden: TensorMap;

function goldenMap(i: number): Float32Array {
  const all = golden.get('anomaly_map')!.data as Float32Array;
  return all.subarray(i * 48 * 48, (i + 1) * 48 * 48);
}

function range(a: Float32Array): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of a) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return hi - lo;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-cli-'));
  golden = fixtureTensors('golden.safetensors');
});

afterAll(async () => {
  const { rm } = await import('node:fs/promises');
  await rm(work, { recursive: true, force: true });
});

describe('aaclip detect on the fixture model', () => {
  let outDir: string;
  let result: Awaited<ReturnType<typeof aaclip>>;

  beforeAll(async () => {
    outDir = path.join(work, 'adapted');
    result = await aaclip('detect', ...MODEL_FLAGS, '--adapters', fixtureFile('adapters.safetensors'), '--out', outDir, ...IMAGES);
  });

  it('exits 0 and writes scores, maps and one heatmap per image', async () => {
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((await readdir(outDir)).sort()).toEqual(['img0.png', 'img1.png', 'img2.png', 'maps.safetensors', 'scores.json']);
  });

  it('matches the golden fused maps: exactly-sized image within 1e-3, resized ones within 2% of the range', async () => {
    const maps = readTensorFile(path.join(outDir, 'maps.safetensors'));
    expect([...maps.keys()]).toEqual(IMAGES);
    for (const [i, image] of IMAGES.entries()) {
      const map = maps.get(image)!;
      expect(map.dtype).toBe('F32');
      expect(map.shape).toEqual([48, 48]);
      const err = maxAbsError(map.data as Float32Array, goldenMap(i));
      if (i === 2) expect(err).toBeLessThan(NO_RESIZE_MAP_TOL);
      else expect(err / range(goldenMap(i))).toBeLessThan(RESIZED_MAP_REL_TOL);
    }
  });

  it('writes image scores and map maxima that match the golden values', async () => {
    const scores = JSON.parse(await readFile(path.join(outDir, 'scores.json'), 'utf8')) as { image: string; image_score: number; pixel_max: number }[];
    expect(scores.map((s) => s.image)).toEqual(IMAGES);
    const goldenScores = golden.get('image_score')!.data as Float32Array;
    expect(Math.abs(scores[2]!.image_score - goldenScores[2]!)).toBeLessThan(IMAGE_SCORE_TOL);
    for (const [i, s] of scores.entries()) {
      const gm = goldenMap(i);
      expect(Math.abs(s.pixel_max - Math.max(...gm))).toBeLessThan(RESIZED_MAP_REL_TOL * range(gm));
    }
  });

  it('gives the same maps with a --model folder and with the reference .pth adapters', async () => {
    const dir = path.join(work, 'model-dir');
    await mkdir(dir, { recursive: true });
    await copyFile(fixtureFile('open_clip_config.json'), path.join(dir, 'open_clip_config.json'));
    await copyFile(fixtureFile('clip.safetensors'), path.join(dir, 'open_clip_model.safetensors'));
    await copyFile(vocabPath, path.join(dir, 'bpe_simple_vocab_16e6.txt.gz'));
    const viaDir = await aaclip('detect', '--model', dir, '--adapters', fixtureFile('text_adapter.pth'), '--adapters', fixtureFile('image_adapter_20.pth'),
      '--image-size', '48', '--class-name', 'dark bottle', '--out', path.join(work, 'via-dir'), IMAGES[2]!);
    expect(viaDir.code).toBe(0);
    const a = readTensorFile(path.join(work, 'via-dir', 'maps.safetensors')).get(IMAGES[2]!)!.data as Float32Array;
    expect(maxAbsError(a, goldenMap(2))).toBeLessThan(NO_RESIZE_MAP_TOL);
  });

  it('gives the same map on the web backend (wasm) as the golden one', async () => {
    const web = await aaclip('detect', ...MODEL_FLAGS, '--adapters', fixtureFile('adapters.safetensors'), '--backend', 'web', '--device', 'wasm',
      '--out', path.join(work, 'web'), IMAGES[2]!);
    expect(web.code).toBe(0);
    const map = readTensorFile(path.join(work, 'web', 'maps.safetensors')).get(IMAGES[2]!)!.data as Float32Array;
    expect(maxAbsError(map, goldenMap(2))).toBeLessThan(NO_RESIZE_MAP_TOL);
  });

  it('runs plain CLIP when no adapters are given', async () => {
    const plain = await aaclip('detect', ...MODEL_FLAGS, '--out', path.join(work, 'plain'), IMAGES[2]!);
    expect(plain.code).toBe(0);
    const map = readTensorFile(path.join(work, 'plain', 'maps.safetensors')).get(IMAGES[2]!)!.data as Float32Array;
    expect(map.every(Number.isFinite)).toBe(true);
    const difference = maxAbsError(map, goldenMap(2)); // Infinity on a length mismatch or NaN
    expect(difference).toBeGreaterThan(NO_RESIZE_MAP_TOL); // a different model, so a different map
    expect(difference).toBeLessThan(Infinity);
  });
});

describe('aaclip detect on bad input', () => {
  const adapters = () => ['--adapters', fixtureFile('adapters.safetensors')];

  it('scores the readable images, lists a missing, a corrupt and a truncated one, and exits 1', async () => {
    const bad = path.join(work, 'bad-images');
    await mkdir(bad, { recursive: true });
    const corrupt = path.join(bad, 'corrupt.png');
    const truncated = path.join(bad, 'truncated.png');
    const missing = path.join(bad, 'missing.png');
    await writeFile(corrupt, 'this is not an image');
    await writeFile(truncated, (await readFile(IMAGES[0]!)).subarray(0, 300));
    const out = path.join(work, 'bad-images-out');
    const r = await aaclip('detect', ...MODEL_FLAGS, ...adapters(), '--out', out, IMAGES[2]!, corrupt, truncated, missing);
    expect(r.code).toBe(1);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toContain('3 of 4 images failed');
    for (const f of [corrupt, truncated, missing]) expect(lines.some((l) => l.includes(f))).toBe(true);
    const scores = JSON.parse(await readFile(path.join(out, 'scores.json'), 'utf8')) as { image: string }[];
    expect(scores.map((s) => s.image)).toEqual([IMAGES[2]]);
  });

  async function expectCleanFailure(args: string[], ...mustMention: string[]): Promise<void> {
    const out = path.join(work, `fail-${Math.random().toString(36).slice(2)}`);
    const r = await aaclip('detect', ...args, '--out', out, IMAGES[2]!);
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    for (const m of mustMention) expect(lines[0]).toContain(m);
    await expect(readdir(out)).rejects.toThrow(); // nothing written, not even the folder
  }

  it('refuses weights whose shapes do not match the config, naming the file and tensor', async () => {
    const weights = fixtureTensors('clip.safetensors');
    const proj = weights.get('visual.proj')!;
    weights.set('visual.proj', { dtype: 'F32', shape: [64, 32], data: (proj.data as Float32Array).subarray(0, 64 * 32) });
    const file = path.join(work, 'wrong-shape.safetensors');
    await writeFile(file, writeSafetensors(weights));
    const flags = [...MODEL_FLAGS];
    flags[flags.indexOf('--weights') + 1] = file;
    await expectCleanFailure([...flags, ...adapters()], file, 'visual.proj', '[64, 32]');
  });

  it('refuses a hostile safetensors header: length past the end of the file', async () => {
    const file = path.join(work, 'hostile-length.safetensors');
    const bytes = new Uint8Array(64);
    new DataView(bytes.buffer).setBigUint64(0, 1n << 40n, true);
    await writeFile(file, bytes);
    await expectCleanFailure([...MODEL_FLAGS, '--adapters', file], file);
  });

  it('refuses a hostile safetensors header: overlapping offsets', async () => {
    const header = JSON.stringify({
      a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
      b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] },
    });
    const headerBytes = new TextEncoder().encode(header);
    const bytes = new Uint8Array(8 + headerBytes.length + 24);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
    bytes.set(headerBytes, 8);
    const file = path.join(work, 'hostile-overlap.safetensors');
    await writeFile(file, bytes);
    await expectCleanFailure([...MODEL_FLAGS, '--adapters', file], file, 'overlap');
  });

  it('refuses a config with a wrong field, naming the file and the field', async () => {
    const config = JSON.parse(await readFile(fixtureFile('open_clip_config.json'), 'utf8')) as { model_cfg: { vision_cfg: { width: unknown } } };
    config.model_cfg.vision_cfg.width = 'wide';
    const file = path.join(work, 'bad-config.json');
    await writeFile(file, JSON.stringify(config));
    const flags = [...MODEL_FLAGS];
    flags[flags.indexOf('--model-config') + 1] = file;
    await expectCleanFailure(flags, file, 'vision_cfg.width');
  });

  it('rejects unknown flags and bad values with a one-line error', async () => {
    await expectCleanFailure([...MODEL_FLAGS, '--image-size', 'big'], '--image-size');
    await expectCleanFailure([...MODEL_FLAGS, '--domain', 'space'], '--domain');
    const r = await aaclip('detect', '--bogus');
    expect(r.code).not.toBe(0);
    expect(r.stderr.split('\n')).toHaveLength(1);
  });
});
