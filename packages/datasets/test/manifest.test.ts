import path from 'node:path';
import { readdir, readFile, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, selectSamples, writeManifest, type Dataset, type DatasetSample } from '../src/index.js';
import { makeWorkDir, writeImages } from './tinyTree.js';

let root: string;
let dataset: Dataset;
const names = (samples: readonly DatasetSample[]): string[] => samples.map((s) => path.relative(root, s.imagePath));

beforeAll(async () => {
  root = await makeWorkDir('manifest');
  const files: string[] = [];
  for (const [cls, trainN, testN, defects] of [['alpha', 3, 2, 4], ['beta', 1, 2, 3]] as const) {
    for (let i = 0; i < trainN; i++) files.push(`${cls}/train/good/${i}.png`);
    for (let i = 0; i < testN; i++) files.push(`${cls}/test/good/${i}.png`);
    for (let i = 0; i < defects; i++) files.push(`${cls}/test/dent/${i}.png`, `${cls}/ground_truth/dent/${i}_mask.png`);
  }
  await writeImages(root, files);
  dataset = await loadDataset('mvtec', root);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('few-shot selection', () => {
  it('takes k normal and k anomalous samples per class', () => {
    const chosen = selectSamples(dataset, { shots: 2, seed: 5 });
    for (const cls of ['alpha', 'beta']) {
      for (const label of [0, 1]) expect(chosen.filter((s) => s.className === cls && s.label === label)).toHaveLength(2);
    }
    for (const s of chosen) expect(dataset.samples).toContain(s);
  });

  it('is the same for the same seed, changes with the seed, and does not depend on other classes', async () => {
    const a = names(selectSamples(dataset, { shots: 2, seed: 3 }));
    expect(names(selectSamples(dataset, { shots: 2, seed: 3 }))).toEqual(a);
    const draws = new Set(Array.from({ length: 10 }, (_, seed) => names(selectSamples(dataset, { shots: 2, seed })).join(',')));
    expect(draws.size).toBeGreaterThan(1);
    const alphaOnly = await loadDataset('mvtec', root, { classes: ['alpha'] });
    expect(names(selectSamples(alphaOnly, { shots: 2, seed: 3 }))).toEqual(a.filter((n) => n.startsWith('alpha')));
  });

  it('limits to a split, and refuses a class with too few images', () => {
    const train = selectSamples(dataset, { split: 'train' });
    expect(train.every((s) => s.split === 'train')).toBe(true);
    expect(train).toHaveLength(4);
    expect(() => selectSamples(dataset, { shots: 4, seed: 0 })).toThrow(/class "beta" has 3 normal images, fewer than the 4 shots asked for/);
    expect(() => selectSamples(dataset, { shots: 1, split: 'train' })).toThrow(/class "alpha" has 0 anomalous images in the train split/);
    expect(() => selectSamples(dataset, { shots: 0 })).toThrow(/^shots: /);
  });
});

describe('manifest files', () => {
  it("writes the reference's fields with paths relative to the root, and reads back the same samples", async () => {
    const out = path.join(root, 'meta', 'few.jsonl');
    const written = await writeManifest(out, dataset, { shots: 2, seed: 9 });
    const lines = (await readFile(out, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(8);
    for (const l of lines) {
      expect(Object.keys(l).slice(0, 4)).toEqual(['image_path', 'label', 'class_name', 'mask_path']);
      expect(path.isAbsolute(l.image_path as string)).toBe(false);
      expect(l.mask_path === '').toBe(l.label === 0);
    }
    const back = await loadDataset('jsonl', root, { manifest: out });
    const strip = (s: DatasetSample): DatasetSample => ({ ...s });
    expect(back.samples.map(strip)).toEqual(written.map(strip));
    expect((await readdir(path.dirname(out))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
