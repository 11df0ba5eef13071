import path from 'node:path';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, scanDataset } from '../src/index.js';
import { makeWorkDir, writeImages } from './tinyTree.js';

let work: string;
beforeAll(async () => {
  work = await makeWorkDir('folder');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('generic folder layout', () => {
  it('reads normal/, abnormal/ and mask/ as one class named after the root', async () => {
    const root = path.join(work, 'gaskets');
    await writeImages(root, ['normal/n1.png', 'normal/n2.png', 'abnormal/a1.png', 'abnormal/a2.png', 'mask/a1.png', 'mask/a2_mask.png']);
    const ds = await loadDataset('folder', root);
    expect(ds.classes).toEqual(['gaskets']);
    expect(ds.samples.map((s) => [path.basename(s.imagePath), s.label, s.split, s.maskPath && path.basename(s.maskPath)])).toEqual([
      ['n1.png', 0, 'test', null],
      ['n2.png', 0, 'test', null],
      ['a1.png', 1, 'test', 'a1.png'],
      ['a2.png', 1, 'test', 'a2_mask.png'],
    ]);
    expect(ds.promptName('gaskets')).toBe('gaskets');
  });

  it('takes folder names, several defect folders with their mask folders, class, prompt and domain from options', async () => {
    const root = path.join(work, 'custom');
    await writeImages(root, ['ok/1.png', 'ok_test/2.png', 'bad/dent/3.png', 'bad/crack/4.png', 'gt/dent/3.png', 'gt/crack/4.png']);
    const ds = await loadDataset('folder', root, {
      normalDir: 'ok', normalSplit: 'train', normalTestDir: 'ok_test',
      abnormalDir: ['bad/dent', 'bad/crack'], maskDir: ['gt/dent', 'gt/crack'],
      className: 'gasket', promptName: 'rubber gasket', domain: 'medical',
    });
    expect(ds.samples.map((s) => `${s.split}:${s.label}:${s.defectType}`)).toEqual(['train:0:good', 'test:0:good', 'test:1:dent', 'test:1:crack']);
    expect(ds.samples[3]!.maskPath).toBe(path.join(root, 'gt/crack/4.png'));
    expect(ds.promptName('gasket')).toBe('rubber gasket');
    expect(ds.domain).toBe('medical');
    await expect(loadDataset('folder', root, { abnormalDir: 'bad/dent', maskDir: ['gt/dent', 'gt/crack'] })).rejects.toThrow(/^folder option "maskDir": /);
  });

  it('reads classification-only data with maskDir null, and otherwise reports missing masks and folders', async () => {
    const root = path.join(work, 'nomasks');
    await writeImages(root, ['normal/1.png', 'abnormal/2.png']);
    const ds = await loadDataset('folder', root, { maskDir: null });
    expect(ds.samples.map((s) => s.maskPath)).toEqual([null, null]);
    const { problems } = await scanDataset('folder', root);
    expect(problems.map((p) => [p.kind, path.relative(root, p.file)])).toEqual([['missing-folder', 'mask'], ['missing-mask', 'abnormal/2.png']]);
  });
});
