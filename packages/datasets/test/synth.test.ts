import path from 'node:path';
import { readdir, readFile, rm } from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDataset, planSynthClasses, renderSynthPicture, synthesizeDataset } from '../src/index.js';
import { makeWorkDir } from './tinyTree.js';

let work: string;
beforeAll(async () => {
  work = await makeWorkDir('synth');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

describe('synthetic datasets', () => {
  it('gives the same bytes for the same seed, and other pictures for another seed', async () => {
    const options = { classes: 2, images: 1, size: 48, seed: 11 };
    const a = path.join(work, 'a');
    const b = path.join(work, 'b');
    const c = path.join(work, 'c');
    await synthesizeDataset(a, options);
    await synthesizeDataset(b, options);
    await synthesizeDataset(c, { ...options, seed: 12 });
    const files = await filesUnder(a);
    expect(await filesUnder(b)).toEqual(files);
    expect(await filesUnder(c)).toEqual(files);
    let differing = 0;
    for (const f of files) {
      const bytesA = await readFile(path.join(a, f));
      expect(bytesA.equals(await readFile(path.join(b, f)))).toBe(true);
      if (!bytesA.equals(await readFile(path.join(c, f)))) differing++;
    }
    expect(differing).toBe(files.length);
  });

  it('has exact masks: 255 exactly where the defect changed a pixel, and the change is visible', () => {
    const size = 64;
    for (const cls of planSynthClasses(7, 3)) {
      for (const defect of cls.kind.defects) {
        for (let index = 0; index < 2; index++) {
          const p = renderSynthPicture(cls, 'test', defect, index, 3, size);
          const mask = p.mask!;
          let inside = 0;
          let change = 0;
          let wrong = 0;
          for (let i = 0; i < size * size; i++) {
            const diff = [0, 1, 2].reduce((m, k) => Math.max(m, Math.abs(p.image[i * 3 + k]! - p.clean[i * 3 + k]!)), 0);
            if (!(mask[i] === 255 ? diff > 0 : mask[i] === 0 && diff === 0)) wrong++;
            if (mask[i]) {
              inside++;
              change += diff;
            }
          }
          expect(wrong, `${cls.name}/${defect}/${index}`).toBe(0);
          expect(inside, `${cls.name}/${defect}/${index}`).toBeGreaterThanOrEqual(4);
          expect(inside).toBeLessThan(size * size * 0.25);
          expect(change / inside, `${cls.name}/${defect}/${index}`).toBeGreaterThan(20);
        }
      }
    }
  });

  it('varies normal pictures of a class, and keeps classes apart', () => {
    const [texture, object] = planSynthClasses(2, 0);
    const one = renderSynthPicture(texture!, 'train', 'good', 0, 0, 48);
    const two = renderSynthPicture(texture!, 'train', 'good', 1, 0, 48);
    const other = renderSynthPicture(object!, 'train', 'good', 0, 0, 48);
    expect(one.mask).toBeNull();
    expect(Buffer.from(one.image).equals(Buffer.from(two.image))).toBe(false);
    expect(Buffer.from(one.image).equals(Buffer.from(other.image))).toBe(false);
  });

  it('writes MVTec layout that the mvtec format reads without a problem, PNGs holding exactly the rendered pixels', async () => {
    const out = path.join(work, 'mvtec-like');
    const summary = await synthesizeDataset(out, { classes: 2, images: 2, size: 48, seed: 5 });
    expect(summary.classes.map((c) => c.name)).toEqual(['woven_fabric', 'metal_washer']);
    expect(summary.classes[0]!.defects).toEqual(['scratch', 'hole', 'stain']);
    expect(summary.classes[1]!.defects).toEqual(['scratch', 'hole', 'stain', 'missing_part']);
    const report = await checkDataset('mvtec', out, undefined, { decode: true });
    expect(report.problems).toEqual([]);
    expect(report.counts.map((c) => [c.className, c.split, c.normal, c.anomalous, c.masks])).toEqual([
      ['metal_washer', 'train', 2, 0, 0],
      ['metal_washer', 'test', 2, 8, 8],
      ['woven_fabric', 'train', 2, 0, 0],
      ['woven_fabric', 'test', 2, 6, 6],
    ]);
    expect(summary.files).toBe(2 + 2 + 8 * 2 + 2 + 2 + 6 * 2);

    const cls = planSynthClasses(2, 5)[1]!;
    const picture = renderSynthPicture(cls, 'test', 'missing_part', 1, 5, 48);
    const image = await sharp(path.join(out, 'metal_washer/test/missing_part/001.png')).raw().toBuffer({ resolveWithObject: true });
    expect(image.info.channels).toBe(3);
    expect(image.data.equals(Buffer.from(picture.image))).toBe(true);
    const maskFile = path.join(out, 'metal_washer/ground_truth/missing_part/001_mask.png');
    expect((await sharp(maskFile).metadata()).channels).toBe(1); // 8-bit grey, as MVTec AD's masks
    const mask = await sharp(maskFile).extractChannel(0).raw().toBuffer();
    expect(mask.equals(Buffer.from(picture.mask!))).toBe(true);
  });

  it('refuses an existing folder and bad options, leaving nothing behind', async () => {
    const out = path.join(work, 'a');
    await expect(synthesizeDataset(out)).rejects.toThrow(`${out}: already exists`);
    await expect(synthesizeDataset(path.join(work, 'z'), { classes: 0 })).rejects.toThrow(/^synth option "classes": /);
    await expect(synthesizeDataset(path.join(work, 'z'), { size: 8 })).rejects.toThrow(/^synth option "size": /);
    expect((await readdir(work)).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});
