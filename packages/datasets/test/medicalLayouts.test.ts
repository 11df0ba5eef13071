import path from 'node:path';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, scanDataset } from '../src/index.js';
import { makeWorkDir, writeImages } from './tinyTree.js';

let work: string;
beforeAll(async () => {
  work = await makeWorkDir('medical');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('BMAD layouts (brain MRI, liver CT, RESC)', () => {
  let brain: string;
  beforeAll(async () => {
    brain = path.join(work, 'Brain_AD');
    await writeImages(brain, [
      'train/good/img/00003_60.png', 'train/good/img/00003_61.png',
      'valid/good/img/00025_99.png',
      'valid/Ungood/img/00124_60.png', 'valid/Ungood/label/00124_60.png',
      'test/good/img/00000_96.png',
      'test/Ungood/img/00002_60.png', 'test/Ungood/img/00002_68.png',
      'test/Ungood/label/00002_60.png', 'test/Ungood/label/00002_68.png',
    ]);
  });

  it('reads train and test, pairs masks by name, and leaves valid/ out unless asked', async () => {
    const ds = await loadDataset('brain-mri', brain);
    expect(ds.classes).toEqual(['Brain']);
    expect(ds.domain).toBe('medical');
    expect(ds.promptName('Brain')).toBe('scan');
    expect(ds.samples.map((s) => `${s.split}:${s.label}:${s.defectType}`)).toEqual([
      'test:0:good', 'test:1:Ungood', 'test:1:Ungood', 'train:0:good', 'train:0:good',
    ]);
    for (const s of ds.samples.filter((x) => x.label === 1)) {
      expect(s.maskPath).toBe(path.join(brain, 'test/Ungood/label', path.basename(s.imagePath)));
    }
    const withValid = await loadDataset('brain', brain, { validAs: 'test' });
    expect(withValid.samples.filter((s) => s.split === 'test')).toHaveLength(5);
  });

  it('reads the MVFA copies (masks in anomaly_mask/) for liver and retina', async () => {
    const liver = path.join(work, 'Liver_AD');
    await writeImages(liver, ['test/good/img/a.png', 'test/Ungood/img/b.png', 'test/Ungood/anomaly_mask/b.png']);
    const ds = await loadDataset('liver-ct', liver);
    expect(ds.classes).toEqual(['Liver']);
    expect(ds.samples.find((s) => s.label === 1)!.maskPath).toBe(path.join(liver, 'test/Ungood/anomaly_mask/b.png'));
    const retina = await loadDataset('retina', liver);
    expect(retina.classes).toEqual(['Retina']);
  });

  it('reports an anomalous slice without its mask, an orphan mask and a stray folder', async () => {
    const bad = path.join(work, 'RESC');
    await writeImages(bad, [
      'test/good/img/a.png',
      'test/Ungood/img/b.png', 'test/Ungood/img/c.png',
      'test/Ungood/label/b.png', 'test/Ungood/label/z.png',
      'test/maybe/img/d.png',
    ]);
    const { problems } = await scanDataset('resc', bad);
    expect(problems.map((p) => [p.kind, path.relative(bad, p.file)]).sort()).toEqual([
      ['missing-mask', 'test/Ungood/img/c.png'],
      ['orphan-mask', 'test/Ungood/label/z.png'],
      ['unexpected-entry', 'test/maybe'],
    ]);
  });
});

describe('polyp layouts (CVC-ClinicDB, CVC-ColonDB, Kvasir, CVC-300)', () => {
  it('reads images/ + masks/ as one anomalous test class', async () => {
    const root = path.join(work, 'Kvasir');
    await writeImages(root, ['images/cju0qkwl35piu0993l0dewei2.jpg', 'images/cju0s690hkp960855tjuaqvv0.jpg', 'masks/cju0qkwl35piu0993l0dewei2.jpg', 'masks/cju0s690hkp960855tjuaqvv0.jpg']);
    const ds = await loadDataset('kvasir', root);
    expect(ds.classes).toEqual(['Kvasir']);
    expect(ds.domain).toBe('medical');
    expect(ds.promptName('Kvasir')).toBe('colon endoscopy image');
    expect(ds.samples).toHaveLength(2);
    for (const s of ds.samples) {
      expect([s.label, s.split, s.className]).toEqual([1, 'test', 'Kvasir']);
      expect(s.maskPath).toBe(path.join(root, 'masks', path.basename(s.imagePath)));
    }
    expect((await loadDataset('cvc-300', root)).classes).toEqual(['CVC-300']);
    expect((await loadDataset('colon_colondb', root)).classes).toEqual(['Colon_colonDB']);
  });

  it("reads CVC-ClinicDB's own release (Original/ + Ground Truth/, TIFF)", async () => {
    const root = path.join(work, 'CVC-ClinicDB');
    await writeImages(root, ['Original/1.tif', 'Original/2.tif', 'Ground Truth/1.tif', 'Ground Truth/2.tif']);
    const ds = await loadDataset('cvc-clinicdb', root);
    expect(ds.classes).toEqual(['Colon_clinicDB']);
    expect(ds.samples.map((s) => path.relative(root, s.maskPath!))).toEqual(['Ground Truth/1.tif', 'Ground Truth/2.tif']);
  });

  it('reports a frame without a mask, and an empty or missing image folder', async () => {
    const root = path.join(work, 'CVC-ColonDB');
    await writeImages(root, ['images/1.png', 'images/2.png', 'masks/1.png']);
    const { problems } = await scanDataset('cvc-colondb', root);
    expect(problems.map((p) => [p.kind, path.relative(root, p.file)])).toEqual([['missing-mask', 'images/2.png']]);
    const none = await scanDataset('cvc-colondb', path.join(work, 'Kvasir', 'images'));
    expect(none.problems.map((p) => p.kind)).toEqual(['missing-folder']);
  });
});
