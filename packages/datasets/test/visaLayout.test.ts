import path from 'node:path';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, scanDataset } from '../src/index.js';
import { makeWorkDir, writeImages, writeText } from './tinyTree.js';

let root: string;
beforeAll(async () => {
  root = await makeWorkDir('visa');
  await writeImages(root, [
    'candle/Data/Images/Normal/0000.JPG', 'candle/Data/Images/Normal/0001.JPG',
    'candle/Data/Images/Anomaly/000.JPG', 'candle/Data/Masks/Anomaly/000.png',
    'pcb1/Data/Images/Normal/0000.JPG',
    'pcb1/Data/Images/Anomaly/000.JPG', 'pcb1/Data/Masks/Anomaly/000.png',
  ]);
  // pcb1 listed first: the class order still follows the reference table (candle before pcb1).
  await writeText(path.join(root, 'split_csv/1cls.csv'), [
    'object,split,label,image,mask',
    'pcb1,train,normal,pcb1/Data/Images/Normal/0000.JPG,',
    'pcb1,test,anomaly,pcb1/Data/Images/Anomaly/000.JPG,pcb1/Data/Masks/Anomaly/000.png',
    'candle,train,normal,candle/Data/Images/Normal/0000.JPG,',
    '"candle",test,normal,"candle/Data/Images/Normal/0001.JPG",',
    'candle,test,anomaly,candle/Data/Images/Anomaly/000.JPG,candle/Data/Masks/Anomaly/000.png',
    '',
  ].join('\r\n'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('VisA layout (split_csv/1cls.csv)', () => {
  it('reads every row with its split, label and mask', async () => {
    const ds = await loadDataset('visa', root);
    expect(ds.classes).toEqual(['candle', 'pcb1']);
    expect(ds.samples.map((s) => [s.className, s.split, s.label, s.defectType])).toEqual([
      ['candle', 'train', 0, 'good'],
      ['candle', 'test', 0, 'good'],
      ['candle', 'test', 1, 'anomaly'],
      ['pcb1', 'train', 0, 'good'],
      ['pcb1', 'test', 1, 'anomaly'],
    ]);
    const anomaly = ds.samples.find((s) => s.className === 'candle' && s.label === 1)!;
    expect(anomaly.imagePath).toBe(path.join(root, 'candle/Data/Images/Anomaly/000.JPG'));
    expect(anomaly.maskPath).toBe(path.join(root, 'candle/Data/Masks/Anomaly/000.png'));
    expect(ds.samples.filter((s) => s.label === 0).every((s) => s.maskPath === null)).toBe(true);
    expect(ds.promptName('pcb1')).toBe('dual ultrasonic distance sensor pcb module');
  });

  it('filters classes on request', async () => {
    const ds = await loadDataset('visa', root, { classes: ['pcb1'] });
    expect(ds.samples).toHaveLength(2);
    const scan = await scanDataset('visa', root, { classes: ['pcb1', 'fryum'] });
    expect(scan.problems.map((p) => p.problem)).toEqual(['class "fryum" has no rows']);
  });

  it('reports each bad row by file and line, and files the rows name but the disk lacks', async () => {
    const csv = path.join(root, 'split_csv/bad.csv');
    await writeText(csv, [
      'object,split,label,image,mask',
      'candle,train,normal,candle/Data/Images/Normal/0000.JPG', // 4 fields
      'candle,val,normal,candle/Data/Images/Normal/0000.JPG,',
      'candle,test,weird,candle/Data/Images/Normal/0000.JPG,',
      'candle,test,anomaly,candle/Data/Images/Anomaly/000.JPG,',
      'candle,test,normal,candle/Data/Images/Normal/9999.JPG,',
    ].join('\n'));
    const { problems } = await scanDataset('visa', root, { csv: 'split_csv/bad.csv' });
    expect(problems.map((p) => [p.kind, path.relative(root, p.file)])).toEqual([
      ['bad-csv-row', 'split_csv/bad.csv:2'],
      ['bad-csv-row', 'split_csv/bad.csv:3'],
      ['bad-csv-row', 'split_csv/bad.csv:4'],
      ['missing-mask', 'candle/Data/Images/Anomaly/000.JPG'],
      ['missing-file', 'candle/Data/Images/Normal/9999.JPG'],
    ]);
    expect(problems[4]!.problem).toContain('bad.csv:6');
    await expect(loadDataset('visa', root, { csv: 'split_csv/bad.csv' })).rejects.toThrow(/bad\.csv:2: 4 fields, the header has 5 \(and 4 more problems/);
  });

  it('reports a missing split file and a header without the needed columns', async () => {
    const missing = await scanDataset('visa', root, { csv: 'split_csv/2cls_fewshot.csv' });
    expect(missing.problems.map((p) => p.kind)).toEqual(['missing-file']);
    await writeText(path.join(root, 'split_csv/header.csv'), 'object,split,image\ncandle,train,x.JPG\n');
    const header = await scanDataset('visa', root, { csv: 'split_csv/header.csv' });
    expect(header.problems.map((p) => p.problem)).toEqual(['header lacks columns label, mask (expected object,split,label,image,mask)']);
  });
});
