import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AaclipError } from '@aaclip/core';
import { loadTrainingData } from '@aaclip/train';
import { sharedDir } from '../../../test-support/fixture.js';

const tinyTrain = path.join(sharedDir, 'fixtures/tiny-train/mvtec');
const bottle = path.join(tinyTrain, 'bottle');
let work: string;

async function grey(file: string, size: number, level = 0): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await sharp(Buffer.alloc(size * size, level), { raw: { width: size, height: size, channels: 1 } }).png().toFile(file);
}

/** An MVTec tree with one class: `normal` good test images and `anomalous` broken ones (masks unless left out). */
async function mvtecTree(name: string, normal: number, anomalous: number, options: { masks?: boolean; maskSize?: number } = {}): Promise<string> {
  const root = path.join(work, name);
  for (let i = 0; i < normal; i++) await grey(path.join(root, 'cls/test/good', `${i}.png`), 8, 10);
  for (let i = 0; i < anomalous; i++) {
    await grey(path.join(root, 'cls/test/broken', `${i}.png`), 8, 20);
    if (options.masks ?? true) await grey(path.join(root, 'cls/ground_truth/broken', `${i}_mask.png`), options.maskSize ?? 8, 255);
  }
  await grey(path.join(root, 'cls/train/good/t.png'), 8, 10);
  return root;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-train-data-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('training data: the split with ground truth', () => {
  it('takes the four test images of tiny-train (2 normal, 2 anomalous with their masks), not the train split', async () => {
    const data = await loadTrainingData({ kind: 'mvtec', root: tinyTrain });
    expect(data.kind).toBe('mvtec');
    expect(data.domain).toBe('industrial');
    expect(data.classes).toEqual(['bottle']);
    const byPath = [...data.examples].sort((a, b) => a.imagePath.localeCompare(b.imagePath));
    const example = (image: string, label: 0 | 1, mask: string | null) => ({
      imagePath: path.join(bottle, image), className: 'bottle', promptName: 'dark bottle', label,
      maskPath: mask === null ? null : path.join(bottle, mask),
    });
    expect(byPath).toEqual([
      example('test/broken/002.png', 1, 'ground_truth/broken/002_mask.png'),
      example('test/broken/003.png', 1, 'ground_truth/broken/003_mask.png'),
      example('test/good/000.png', 0, null),
      example('test/good/001.png', 0, null),
    ]);
  });

  it('draws k normal and k anomalous images per class, the same for the same seed', async () => {
    const root = await mvtecTree('shots', 5, 5);
    const draw = async (seed: number): Promise<string[]> =>
      (await loadTrainingData({ kind: 'mvtec', root, shots: 2, seed })).examples.map((e) => path.relative(root, e.imagePath));
    const first = await draw(7);
    expect(first).toHaveLength(4);
    expect(first.filter((f) => f.includes('broken'))).toHaveLength(2);
    expect(first.filter((f) => f.includes('/good/'))).toHaveLength(2);
    expect(first.every((f) => f.includes('/test/'))).toBe(true);
    expect(await draw(7)).toEqual(first);
    const others = await Promise.all([1, 2, 3, 4].map(draw));
    expect(others.some((d) => d.join() !== first.join())).toBe(true);
    await expect(loadTrainingData({ kind: 'mvtec', root, shots: 6 })).rejects.toThrowError(/fewer than the 6 shots/);
  });

  it('takes an explicit manifest (every line, whatever its split) with the kind\'s prompt names', async () => {
    const manifest = path.join(work, 'two.jsonl');
    await writeFile(manifest, [
      { image_path: 'bottle/test/broken/003.png', label: 1, class_name: 'bottle', mask_path: 'bottle/ground_truth/broken/003_mask.png' },
      { image_path: 'bottle/train/good/000.png', label: 0, class_name: 'bottle', mask_path: '' },
    ].map((l) => JSON.stringify(l)).join('\n'));
    const data = await loadTrainingData({ kind: 'mvtec', root: tinyTrain, manifestPath: manifest });
    expect(data.examples).toEqual([
      { imagePath: path.join(bottle, 'test/broken/003.png'), className: 'bottle', promptName: 'dark bottle', label: 1, maskPath: path.join(bottle, 'ground_truth/broken/003_mask.png') },
      { imagePath: path.join(bottle, 'train/good/000.png'), className: 'bottle', promptName: 'dark bottle', label: 0, maskPath: null },
    ]);
    // The manifest kind itself takes its prompt names from its `facts` option.
    const asJsonl = await loadTrainingData({ kind: 'jsonl', root: tinyTrain, manifestPath: manifest, datasetOptions: { facts: 'MVTec' } });
    expect(asJsonl.examples.map((e) => e.promptName)).toEqual(['dark bottle', 'dark bottle']);
  });
});

describe('training data: refused before any work', () => {
  it('a dataset without anomalous images names the root and the class', async () => {
    const root = await mvtecTree('normal-only', 3, 0);
    const err = await loadTrainingData({ kind: 'mvtec', root }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AaclipError);
    expect((err as AaclipError).source).toBe(root);
    expect((err as AaclipError).message).toMatch(/no anomalous image among the 3 training images of class "cls"/);
  });

  it('a class selection without anomalous images fails the same way', async () => {
    const root = path.join(work, 'two-classes');
    await cp(bottle, path.join(root, 'bottle'), { recursive: true });
    const normalOnly = await mvtecTree('normal-only-2', 2, 0);
    await cp(path.join(normalOnly, 'cls'), path.join(root, 'screw'), { recursive: true });
    await expect(loadTrainingData({ kind: 'mvtec', root })).resolves.toBeDefined();
    await expect(loadTrainingData({ kind: 'mvtec', root, datasetOptions: { classes: ['screw'] } }))
      .rejects.toThrowError(/no anomalous image among the 2 training images of class "screw"/);
  });

  it('anomalous images without masks name the image and the class', async () => {
    const root = await mvtecTree('no-masks', 2, 2, { masks: false });
    const err = await loadTrainingData({ kind: 'mvtec', root }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AaclipError);
    expect((err as AaclipError).source).toBe(path.join(root, 'cls/test/broken/0.png'));
    expect((err as AaclipError).message).toMatch(/anomalous image of class "cls" has no mask \(and 1 more anomalous image without one\)/);
    // From a manifest whose anomalous line has an empty mask_path too.
    const manifest = path.join(work, 'unmasked.jsonl');
    await writeFile(manifest, `${JSON.stringify({ image_path: 'bottle/test/broken/002.png', label: 1, class_name: 'bottle', mask_path: '' })}\n`);
    await expect(loadTrainingData({ kind: 'mvtec', root: tinyTrain, manifestPath: manifest })).rejects.toThrowError(/002\.png: anomalous image of class "bottle" has no mask/);
  });

  it('a mask of another size than its image names the mask', async () => {
    const root = await mvtecTree('mask-size', 1, 1, { maskSize: 6 });
    await expect(loadTrainingData({ kind: 'mvtec', root })).rejects.toThrowError(/0_mask\.png: .*6×6.*8×8/);
  });

  it('an unknown kind lists the known ones', async () => {
    await expect(loadTrainingData({ kind: 'nope', root: tinyTrain })).rejects.toThrowError(/unknown dataset kind \(known: mvtec/);
  });
});

describe('training data: manifest paths outside the root', () => {
  it('are refused unless allowOutsideRoot is given', async () => {
    const root = await mvtecTree('outside', 1, 1);
    const outsideImage = path.join(work, 'elsewhere.png');
    await grey(outsideImage, 8, 20);
    const manifest = path.join(work, 'outside.jsonl');
    const line = (image: string, label: number, mask: string | null): string =>
      JSON.stringify({ image_path: image, label, class_name: 'cls', mask_path: mask });
    await writeFile(manifest, [
      line('cls/test/good/0.png', 0, null),
      line('../elsewhere.png', 1, 'cls/ground_truth/broken/0_mask.png'),
    ].join('\n'));
    await expect(loadTrainingData({ kind: 'mvtec', root, manifestPath: manifest })).rejects.toThrow(/outside/);
    const data = await loadTrainingData({ kind: 'mvtec', root, manifestPath: manifest, allowOutsideRoot: true });
    expect(data.examples.map((e) => e.imagePath)).toContain(outsideImage);
  });
});
