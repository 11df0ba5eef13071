import path from 'node:path';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, scanDataset, type DatasetProblem } from '../src/index.js';
import { makeWorkDir, writeImages, writeText } from './tinyTree.js';

let work: string;
beforeAll(async () => {
  work = await makeWorkDir('tree');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const kinds = (problems: readonly DatasetProblem[]): string[] => problems.map((p) => p.kind).sort();

describe('MVTec AD layout', () => {
  let root: string;
  beforeAll(async () => {
    root = path.join(work, 'mvtec');
    await writeImages(root, [
      'toothbrush/train/good/000.png', 'toothbrush/train/good/001.png',
      'toothbrush/test/good/000.png',
      'toothbrush/test/defective/000.png', 'toothbrush/test/defective/001.png',
      'toothbrush/ground_truth/defective/000_mask.png', 'toothbrush/ground_truth/defective/001_mask.png',
      'transistor/train/good/000.png',
      'transistor/test/good/000.png',
      'transistor/test/bent_lead/000.png', 'transistor/test/misplaced/000.png',
      'transistor/ground_truth/bent_lead/000_mask.png', 'transistor/ground_truth/misplaced/000_mask.png',
      'aaa_custom/train/good/2.png', 'aaa_custom/train/good/10.png',
      'aaa_custom/test/good/000.png',
    ]);
    await writeText(path.join(root, 'license.txt'), 'not part of any class');
    await writeText(path.join(root, 'toothbrush/train/good/.DS_Store'), 'hidden');
  });

  it('reads classes (reference order first), splits, labels and mask pairs', async () => {
    const ds = await loadDataset('mvtec', root);
    expect(ds.classes).toEqual(['transistor', 'toothbrush', 'aaa_custom']);
    expect(ds.domain).toBe('industrial');
    expect(ds.samples).toHaveLength(16 - 4); // every file but the four masks
    const tooth = ds.samples.filter((s) => s.className === 'toothbrush');
    expect(tooth.filter((s) => s.split === 'train').map((s) => s.label)).toEqual([0, 0]);
    const anomalous = tooth.filter((s) => s.label === 1);
    expect(anomalous).toHaveLength(2);
    for (const s of anomalous) {
      expect(s.split).toBe('test');
      expect(s.defectType).toBe('defective');
      expect(s.maskPath).toBe(path.join(root, 'toothbrush/ground_truth/defective', `${path.basename(s.imagePath, '.png')}_mask.png`));
    }
    for (const s of ds.samples.filter((x) => x.label === 0)) {
      expect(s.maskPath).toBeNull();
      expect(s.defectType).toBe('good');
    }
    expect(ds.samples.filter((s) => s.className === 'transistor' && s.label === 1).map((s) => s.defectType)).toEqual(['bent_lead', 'misplaced']);
    // Natural order: 2.png before 10.png.
    expect(ds.samples.filter((s) => s.className === 'aaa_custom' && s.split === 'train').map((s) => path.basename(s.imagePath))).toEqual(['2.png', '10.png']);
  });

  it("gives the reference's prompt names, a readable fallback and user overrides", async () => {
    const ds = await loadDataset('mvtec', root, { promptNames: { aaa_custom: 'shiny widget' } });
    expect(ds.promptName('transistor')).toBe('a three-legged transistor placed vertically');
    expect(ds.promptName('toothbrush')).toBe('toothbrush head');
    expect(ds.promptName('aaa_custom')).toBe('shiny widget');
    expect((await loadDataset('mvtec', root)).promptName('aaa_custom')).toBe('aaa custom');
  });

  it('reads only the classes asked for, and reports a class asked for but absent', async () => {
    const ds = await loadDataset('mvtec', root, { classes: ['toothbrush'] });
    expect(ds.classes).toEqual(['toothbrush']);
    expect(new Set(ds.samples.map((s) => s.className))).toEqual(new Set(['toothbrush']));
    await expect(loadDataset('mvtec', root, { classes: ['bottle'] })).rejects.toThrow(`${path.join(root, 'bottle')}: class folder "bottle" not found`);
  });

  it('accepts a single class folder as the root', async () => {
    const ds = await loadDataset('mvtec', path.join(root, 'transistor'));
    expect(ds.classes).toEqual(['transistor']);
    expect(ds.samples).toHaveLength(4);
  });

  it('reports, and refuses to load, every kind of broken tree', async () => {
    const bad = path.join(work, 'mvtec-bad');
    await writeImages(bad, [
      'bottle/train/good/000.png',
      'bottle/test/good/000.png',
      'bottle/test/crack/000.png', 'bottle/test/crack/001.png',
      'bottle/ground_truth/crack/000_mask.png', 'bottle/ground_truth/crack/009_mask.png',
      'bottle/ground_truth/hole/000_mask.png',
    ]);
    await writeText(path.join(bad, 'bottle/test/crack/notes.txt'), 'x');
    await writeText(path.join(bad, 'cable/README'), 'no images here');
    const { dataset, problems } = await scanDataset('mvtec', bad);
    const byFile = new Map(problems.map((p) => [path.relative(bad, p.file), p.kind]));
    expect(byFile.get('bottle/test/crack/001.png')).toBe('missing-mask');
    expect(byFile.get('bottle/ground_truth/crack/009_mask.png')).toBe('orphan-mask');
    expect(byFile.get('bottle/ground_truth/hole/000_mask.png')).toBe('orphan-mask');
    expect(byFile.get('bottle/test/crack/notes.txt')).toBe('unexpected-entry');
    expect(byFile.get('cable')).toBe('empty-class');
    expect(byFile.get('cable/test')).toBe('missing-folder');
    expect(problems).toHaveLength(6);
    // The anomalous image without a mask is still a sample (with a null mask), never dropped.
    expect(dataset.samples.find((s) => s.imagePath.endsWith('crack/001.png'))?.maskPath).toBeNull();
    await expect(loadDataset('mvtec', bad)).rejects.toThrow(/^\S+bottle\/test\/crack\/notes\.txt: .* \(and 5 more problems; /);
  });

  it('reports a missing root', async () => {
    const { problems } = await scanDataset('mvtec', path.join(work, 'nowhere'));
    expect(kinds(problems)).toEqual(['missing-folder']);
  });
});

describe('MPDD layout (as MVTec)', () => {
  it('reads classes with the reference prompt names', async () => {
    const root = path.join(work, 'mpdd');
    await writeImages(root, [
      'bracket_brown/train/good/000.png',
      'bracket_brown/test/good/000.png',
      'bracket_brown/test/bend_and_parts_mismatch/000.png',
      'bracket_brown/ground_truth/bend_and_parts_mismatch/000_mask.png',
    ]);
    const ds = await loadDataset('mpdd', root);
    expect(ds.classes).toEqual(['bracket_brown']);
    expect(ds.samples.map((s) => [s.split, s.label, s.maskPath !== null])).toEqual([['train', 0, false], ['test', 0, false], ['test', 1, true]]);
    expect(ds.promptName('bracket_brown')).toBe('brown L-shaped metal bracket with smooth, glossy finish and multiple mounting holes along its arms');
  });
});

describe('BTAD layout', () => {
  it('reads ok/ko folders and pairs masks by name across extensions', async () => {
    const root = path.join(work, 'btad');
    await writeImages(root, [
      '01/train/ok/0000.bmp', '01/train/ok/0001.bmp',
      '01/test/ok/0000.bmp',
      '01/test/ko/0000.bmp', '01/test/ko/0001.bmp',
      '01/ground_truth/ko/0000.png', '01/ground_truth/ko/0001.png',
      '02/train/ok/0000.png',
      '02/test/ok/0000.png',
      '02/test/ko/0000.png',
      '02/ground_truth/ko/0000.png',
    ]);
    const ds = await loadDataset('btad', root);
    expect(ds.classes).toEqual(['01', '02']);
    const counts = ds.classes.map((c) => ds.samples.filter((s) => s.className === c).map((s) => `${s.split}:${s.label}`).join(' '));
    expect(counts).toEqual(['train:0 train:0 test:0 test:1 test:1', 'train:0 test:0 test:1']);
    for (const s of ds.samples.filter((x) => x.label === 1)) {
      expect(s.defectType).toBe('ko');
      expect(s.maskPath).toBe(path.join(root, s.className, 'ground_truth/ko', `${path.parse(s.imagePath).name}.png`));
    }
    expect(ds.samples.filter((s) => s.label === 0).every((s) => s.defectType === 'good')).toBe(true);
    expect(ds.promptName('02')).toBe('vertical fabric lines in warm, dusty pink and beige tones');
  });
});
