import path from 'node:path';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDataset, formatCheckReport, loadDataset, scanDataset } from '../src/index.js';
import { makeWorkDir, writeImage, writeImages, writeText } from './tinyTree.js';

let root: string;
beforeAll(async () => {
  root = await makeWorkDir('check');
  await writeImages(root, [
    'bottle/train/good/000.png', 'bottle/train/good/001.png',
    'bottle/test/good/000.png',
    'bottle/test/crack/000.png', 'bottle/test/crack/001.png', 'bottle/test/crack/002.png', 'bottle/test/crack/003.png',
    'bottle/ground_truth/crack/000_mask.png', 'bottle/ground_truth/crack/002_mask.png', 'bottle/ground_truth/crack/003_mask.png',
  ], 16, 16);
  // A mask of the wrong size, an image that is text, and one cut short after its header.
  await writeImage(path.join(root, 'bottle/ground_truth/crack/001_mask.png'), 12, 16);
  await writeText(path.join(root, 'bottle/test/good/001.png'), 'this is not a PNG');
  const full = await readFile(path.join(root, 'bottle/test/crack/002.png'));
  await writeFile(path.join(root, 'bottle/test/crack/002.png'), full.subarray(0, full.length - 20));
  await writeText(path.join(root, 'bottle/ground_truth/crack/003_mask.png'), '');
  // An empty class: the folders exist, the images do not.
  await writeText(path.join(root, 'cable/train/good/.keep'), '');
  await writeText(path.join(root, 'cable/test/good/.keep'), '');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('dataset check', () => {
  it('counts per class and split, and lists every problem with its file', async () => {
    const report = await checkDataset('mvtec', root);
    expect(report.counts).toEqual([
      { className: 'bottle', split: 'train', normal: 2, anomalous: 0, masks: 0 },
      { className: 'bottle', split: 'test', normal: 2, anomalous: 4, masks: 4 },
    ]);
    const found = report.problems.map((p) => [p.kind, path.relative(root, p.file)]).sort();
    expect(found).toEqual([
      ['empty-class', 'cable'],
      ['mask-size-mismatch', 'bottle/ground_truth/crack/001_mask.png'],
      ['unreadable-file', 'bottle/ground_truth/crack/003_mask.png'],
      ['unreadable-file', 'bottle/test/good/001.png'],
    ]);
    const mismatch = report.problems.find((p) => p.kind === 'mask-size-mismatch')!;
    expect(mismatch.problem).toBe('mask is 12×16 but its image 001.png is 16×16');

    const text = formatCheckReport(report);
    expect(text).toMatch(/^mvtec dataset at .*: 2 classes, 8 images \(industrial\)/);
    expect(text).toContain('4 problems:');
    expect(text).toContain('  bottle/ground_truth/crack/001_mask.png: mask is 12×16 but its image 001.png is 16×16');
    expect(text).toMatch(/bottle\s+test\s+2\s+4\s+4/);
  });

  it('makes loaders fail on an unreadable image or a mis-sized mask when asked to read headers, naming the file', async () => {
    const structureOnly = await loadDataset('mvtec', root, { classes: ['bottle'] });
    expect(structureOnly.samples).toHaveLength(8);
    const headers = { images: 'headers' } as const;
    await expect(loadDataset('mvtec', root, { classes: ['bottle'] }, headers)).rejects.toThrow(/bottle\/test\/good\/001\.png: not a readable image \(.*\) \(and 2 more problems/);
    await rm(path.join(root, 'bottle/test/good/001.png'));
    await rm(path.join(root, 'bottle/ground_truth/crack/003_mask.png'));
    await writeImage(path.join(root, 'bottle/ground_truth/crack/003_mask.png'), 16, 16);
    await expect(loadDataset('mvtec', root, { classes: ['bottle'] }, headers)).rejects.toThrow(/crack\/001_mask\.png: mask is 12×16 but its image 001\.png is 16×16$/);
    expect((await scanDataset('mvtec', root, { classes: ['bottle'] }, headers)).problems).toHaveLength(1);
  });

  it('finds truncated pixel data only when decoding', async () => {
    const headers = await checkDataset('mvtec', root, { classes: ['bottle'] });
    expect(headers.problems.some((p) => p.file.endsWith('crack/002.png'))).toBe(false);
    const decoded = await checkDataset('mvtec', root, { classes: ['bottle'] }, { decode: true });
    const truncated = decoded.problems.filter((p) => p.file.endsWith('crack/002.png'));
    expect(truncated.map((p) => p.kind)).toEqual(['unreadable-file']);
  });

  it('reads BMP headers itself (BTAD ships BMP; sharp has no BMP loader)', async () => {
    const btad = path.join(root, '..', `${path.basename(root)}-btad`);
    await writeImage(path.join(btad, '03/train/ok/0000.bmp'), 20, 10);
    await writeImage(path.join(btad, '03/test/ok/0000.bmp'), 20, 10);
    await writeImage(path.join(btad, '03/test/ko/0000.bmp'), 20, 10);
    await writeImage(path.join(btad, '03/ground_truth/ko/0000.bmp'), 20, 10);
    await writeImage(path.join(btad, '03/test/ko/0001.bmp'), 20, 10);
    await writeImage(path.join(btad, '03/ground_truth/ko/0001.bmp'), 10, 20);
    await writeImage(path.join(btad, '03/test/ko/0002.bmp'), 20, 10);
    await writeImage(path.join(btad, '03/ground_truth/ko/0002.png'), 20, 10);
    await writeText(path.join(btad, '03/test/ok/0001.bmp'), 'BM short');
    const report = await checkDataset('btad', btad);
    expect(report.problems.map((p) => [p.kind, path.relative(btad, p.file), p.problem])).toEqual([
      ['unreadable-file', '03/test/ok/0001.bmp', 'not a readable image (BMP header cut short)'],
      ['mask-size-mismatch', '03/ground_truth/ko/0001.bmp', 'mask is 10×20 but its image 0001.bmp is 20×10'],
    ]);
    await rm(btad, { recursive: true, force: true });
  });

  it('reports a sound dataset as such', async () => {
    const sound = path.join(root, '..', `${path.basename(root)}-sound`);
    await writeImages(sound, ['x/train/good/0.png', 'x/test/good/0.png', 'x/test/dent/0.png', 'x/ground_truth/dent/0_mask.png']);
    const report = await checkDataset('mvtec', sound);
    expect(report.problems).toEqual([]);
    expect(formatCheckReport(report)).toContain('No problems found.');
    await rm(sound, { recursive: true, force: true });
  });
});

describe('the check report: one line per row', () => {
  it('escapes control characters in class names from a manifest', async () => {
    const dir = await makeWorkDir('check-names');
    await writeImages(dir, ['a.png', 'b.png', 'b_mask.png']);
    const lines = [
      { image_path: 'a.png', label: 0, class_name: 'two\nlines', mask_path: null },
      { image_path: 'b.png', label: 1, class_name: 'two\nlines', mask_path: 'b_mask.png' },
    ].map((l) => JSON.stringify(l));
    await writeFile(path.join(dir, 'meta.jsonl'), lines.join('\n'));
    const report = await checkDataset('jsonl', dir, { manifest: path.join(dir, 'meta.jsonl') });
    const text = formatCheckReport(report);
    expect(text).toContain('two\\nlines');
    expect(text.split('\n').some((line) => line === 'lines' || line.startsWith('lines '))).toBe(false);
    await rm(dir, { recursive: true, force: true });
  });
});
