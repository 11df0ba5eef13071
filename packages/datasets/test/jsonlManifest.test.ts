import path from 'node:path';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, scanDataset } from '../src/index.js';
import { makeWorkDir, writeImages, writeText } from './tinyTree.js';

let root: string;
let manifest: string;
const line = (o: Record<string, unknown>): string => JSON.stringify(o);

beforeAll(async () => {
  root = await makeWorkDir('jsonl');
  await writeImages(root, ['bottle/train/good/000.png', 'bottle/test/broken/000.png', 'bottle/ground_truth/broken/000_mask.png', 'candle/a.JPG', 'candle/b.JPG', 'candle/b.png']);
  manifest = path.join(root, 'meta', 'full-shot.jsonl');
  await writeText(manifest, [
    line({ image_path: 'candle/a.JPG', label: 0, class_name: 'candle', mask_path: '' }),
    line({ image_path: 'candle/b.JPG', label: 1, class_name: 'candle', mask_path: 'candle/b.png' }),
    line({ image_path: 'bottle/train/good/000.png', label: 0, class_name: 'bottle', mask_path: null, split: 'train' }),
    '',
    line({ image_path: 'bottle/test/broken/000.png', label: 1, class_name: 'bottle', mask_path: 'bottle/ground_truth/broken/000_mask.png', defect_type: 'broken' }),
  ].join('\n'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("the reference's JSONL manifests", () => {
  it('reads each line with paths relative to the root', async () => {
    const ds = await loadDataset('jsonl', root, { manifest });
    expect(ds.classes).toEqual(['candle', 'bottle']);
    expect(ds.samples.map((s) => [s.className, s.label, s.split, s.defectType])).toEqual([
      ['candle', 0, 'test', 'good'],
      ['candle', 1, 'test', 'anomaly'],
      ['bottle', 0, 'train', 'good'],
      ['bottle', 1, 'test', 'broken'],
    ]);
    expect(ds.samples[1]!.imagePath).toBe(path.join(root, 'candle/b.JPG'));
    expect(ds.samples[1]!.maskPath).toBe(path.join(root, 'candle/b.png'));
    expect(ds.samples[0]!.maskPath).toBeNull();
    expect(ds.samples[2]!.maskPath).toBeNull();
    expect(ds.domain).toBe('industrial');
  });

  it("takes classes order, domain and prompt names from a reference dataset's facts", async () => {
    const ds = await loadDataset('jsonl', root, { manifest, facts: 'MVTec' });
    expect(ds.classes).toEqual(['bottle', 'candle']);
    expect(ds.promptName('bottle')).toBe('dark bottle');
    expect(ds.promptName('candle')).toBe('candle');
    const medical = await loadDataset('jsonl', root, { manifest, facts: 'Brain', split: 'train' });
    expect(medical.domain).toBe('medical');
    expect(medical.samples[0]!.split).toBe('train');
  });

  it('reports lines that are not JSON or lack a field, an anomalous line without a mask, and missing files', async () => {
    const bad = path.join(root, 'meta', 'bad.jsonl');
    await writeText(bad, [
      '{"image_path": "candle/a.JPG", "label": 0, "class_name": "candle", "mask_path": ""',
      line({ image_path: 'candle/a.JPG', label: 0, class_name: 'candle' }),
      line({ image_path: 'candle/a.JPG', label: 2, class_name: 'candle', mask_path: '' }),
      '[1, 2]',
      line({ image_path: 'candle/b.JPG', label: 1, class_name: 'candle', mask_path: '' }),
      line({ image_path: 'candle/zzz.JPG', label: 0, class_name: 'candle', mask_path: '' }),
    ].join('\n'));
    const { problems } = await scanDataset('jsonl', root, { manifest: bad });
    expect(problems.map((p) => [p.kind, path.relative(root, p.file)])).toEqual([
      ['bad-manifest-line', 'meta/bad.jsonl:1'],
      ['bad-manifest-line', 'meta/bad.jsonl:2'],
      ['bad-manifest-line', 'meta/bad.jsonl:3'],
      ['bad-manifest-line', 'meta/bad.jsonl:4'],
      ['missing-mask', 'candle/b.JPG'],
      ['missing-file', 'candle/zzz.JPG'],
    ]);
    expect(problems[0]!.problem).toMatch(/^not valid JSON/);
    expect(problems[1]!.problem).toBe('lacks the field "mask_path"');
    expect(problems[2]!.problem).toBe('field "label" must be 0 or 1');
    expect(problems[3]!.problem).toBe('not a JSON object');
    expect(problems[5]!.problem).toContain('bad.jsonl:6');
    await expect(loadDataset('jsonl', root, { manifest: bad })).rejects.toThrow(/bad\.jsonl:1: not valid JSON/);
    // Image-level data: anomalous lines without masks allowed on request.
    const relaxed = await scanDataset('jsonl', root, { manifest: bad, requireMasks: false });
    expect(relaxed.problems.map((p) => p.kind)).not.toContain('missing-mask');
  });

  it('needs the manifest option, and reports a missing manifest file', async () => {
    await expect(loadDataset('jsonl', root)).rejects.toThrow(/^jsonl option "manifest": /);
    await expect(loadDataset('jsonl', root, { manifest: path.join(root, 'nope.jsonl') })).rejects.toThrow(/nope\.jsonl: manifest not found/);
  });
});
