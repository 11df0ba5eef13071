import path from 'node:path';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, loadDatasetPlugins, scanDataset, unregisterDataset } from '../src/index.js';
import { makeWorkDir, writeImages } from './tinyTree.js';

let root: string;
beforeAll(async () => {
  root = await makeWorkDir('plugin');
  await writeImages(root, ['good/1.png', 'bad/2.png', 'bad/3.png', 'bad_masks/2.png']);
});
afterAll(async () => {
  unregisterDataset('widgets');
  await rm(root, { recursive: true, force: true });
});

describe('dataset plugins', () => {
  it('registers the formats a plugin module adds, which then load by name', async () => {
    await loadDatasetPlugins(['./plugins/widgetsFormat.mjs'], import.meta.dirname);
    const { dataset, problems } = await scanDataset('widgets', root, { className: 'gear' });
    expect(dataset.samples.map((s) => [path.basename(s.imagePath), s.label, s.maskPath !== null])).toEqual([['1.png', 0, false], ['2.png', 1, true], ['3.png', 1, false]]);
    expect(dataset.promptName('gear')).toBe('blue gear');
    expect(problems.map((p) => path.relative(root, p.file))).toEqual(['bad/3.png']);
    await expect(loadDataset('widgets', root, { className: '' })).rejects.toThrow(/^widgets option "className": /);
  });

  it('names a plugin that cannot be loaded', async () => {
    await expect(loadDatasetPlugins(['./plugins/nope.mjs'], import.meta.dirname)).rejects.toThrow(/^\.\/plugins\/nope\.mjs: cannot load the dataset plugin/);
    await expect(loadDatasetPlugins(['aaclip-no-such-package'])).rejects.toThrow(/^aaclip-no-such-package: cannot load the dataset plugin/);
  });
});
