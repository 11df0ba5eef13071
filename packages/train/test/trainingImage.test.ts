import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocessImage } from '@aaclip/core';
import { decodeImageFile, readModelConfig } from '@aaclip/backend-node';
import { loadTrainingData, loadTrainingImage, trainingMask, trainingPixels, type TrainingExample } from '@aaclip/train';
import { fixtureFile, sharedDir } from '../../../test-support/fixture.js';
import { fixtureTensors } from '../../../test-support/fixtureLoader.js';
import { maxAbsError } from '@aaclip/core/testing';

const tinyTrain = path.join(sharedDir, 'fixtures/tiny-train/mvtec');
const nearestDir = path.join(sharedDir, 'fixtures/resize-nearest');
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-train-image-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A decoded picture as 0/1: any colour channel non-zero. */
async function binary(file: string): Promise<{ width: number; height: number; bits: number[] }> {
  const image = await decodeImageFile(file);
  const colour = image.channels === 2 || image.channels === 4 ? image.channels - 1 : image.channels;
  const bits: number[] = [];
  for (let p = 0; p < image.width * image.height; p++) {
    let on = 0;
    for (let c = 0; c < colour; c++) if (image.data[p * image.channels + c] !== 0) on = 1;
    bits.push(on);
  }
  return { width: image.width, height: image.height, bits };
}

describe('loading a training example', () => {
  it('gives tiny-train\'s masks at 48 px (no resize): the mask PNG != 0 for anomalous images, zeros for normal ones', async () => {
    const { examples } = await loadTrainingData({ kind: 'mvtec', root: tinyTrain });
    for (const example of examples) {
      const loaded = await loadTrainingImage(example, 48);
      expect(loaded.mask).toHaveLength(48 * 48);
      expect(loaded.rgb.width).toBe(48);
      if (example.maskPath === null) {
        expect(loaded.mask.every((v) => v === 0)).toBe(true);
      } else {
        const expected = await binary(example.maskPath);
        expect(Array.from(loaded.mask)).toEqual(expected.bits);
        expect(expected.bits.some((b) => b === 1)).toBe(true);
      }
    }
  });

  it('resizes masks as Pillow\'s NEAREST does (every pixel of the resize-nearest fixture)', async () => {
    const names = (await readdir(nearestDir)).filter((n) => /^mask_\d+x\d+\.png$/.test(n));
    expect(names.length).toBeGreaterThanOrEqual(8);
    for (const name of names) {
      const outName = (await readdir(nearestDir)).find((n) => n.startsWith(name.replace('.png', '_to_')))!;
      const size = Number(/_to_(\d+)\.png$/.exec(outName)![1]);
      const input = await decodeImageFile(path.join(nearestDir, name));
      const example: TrainingExample = { imagePath: 'img.png', className: 'c', promptName: 'c', label: 1, maskPath: path.join(nearestDir, name) };
      const mask = trainingMask(input, input, example, size);
      const expected = await binary(path.join(nearestDir, outName));
      expect(expected.width).toBe(size);
      const wrong = expected.bits.filter((b, i) => b !== mask[i]).length;
      expect(wrong, `${name} → ${size}`).toBe(0);
    }
  });

  it('a mask whose size differs from its image names both files', async () => {
    const image = path.join(work, 'img.png');
    const maskPath = path.join(work, 'img_mask.png');
    await mkdir(work, { recursive: true });
    await sharp(Buffer.alloc(10 * 8 * 3, 9), { raw: { width: 10, height: 8, channels: 3 } }).png().toFile(image);
    await sharp(Buffer.alloc(8 * 8, 255), { raw: { width: 8, height: 8, channels: 1 } }).png().toFile(maskPath);
    const example: TrainingExample = { imagePath: image, className: 'c', promptName: 'c', label: 1, maskPath };
    await expect(loadTrainingImage(example, 16)).rejects.toThrowError(`${maskPath}: mask is 8×8, but its image ${image} is 10×8`);
  });

  it('makes the model input exactly as the detector preprocesses (bicubic resize + the model\'s normalisation)', async () => {
    const { preprocess } = await readModelConfig(fixtureFile('open_clip_config.json'));
    const golden = fixtureTensors('golden.safetensors').get('pixel_values')!;
    const images = ['img0.png', 'img1.png', 'img2.png'];
    for (const [i, name] of images.entries()) {
      const file = fixtureFile(`images/${name}`);
      const example: TrainingExample = { imagePath: file, className: 'c', promptName: 'c', label: 0, maskPath: null };
      const loaded = await loadTrainingImage(example, 48);
      const pixels = trainingPixels(loaded.rgb, 48, preprocess, file);
      expect(pixels).toEqual(preprocessImage(await decodeImageFile(file), 48, preprocess));
      const plane = 3 * 48 * 48;
      const reference = (golden.data as Float32Array).subarray(i * plane, (i + 1) * plane);
      expect(maxAbsError(pixels, reference), name).toBeLessThan(1e-5);
    }
  });
});
