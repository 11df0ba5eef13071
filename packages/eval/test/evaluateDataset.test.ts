import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AaclipError } from '@aaclip/core';
import type { RawImage } from '@aaclip/core';
import { classFileStem, evaluateDataset, readClassMaps, evaluateClass } from '@aaclip/eval';
import type { EvaluationClass, MapDetector, MetricsJson } from '@aaclip/eval';

const SIZE = 8;
let work: string;

/** A w×w grey PNG of constant brightness `level`, with a bright square where `defect` is. */
async function writePng(file: string, w: number, level: number, defect: boolean): Promise<void> {
  const data = Buffer.alloc(w * w, level);
  if (defect) for (let y = 1; y < 4; y++) data.fill(250, y * w + 1, y * w + 4);
  await mkdir(path.dirname(file), { recursive: true });
  await sharp(data, { raw: { width: w, height: w, channels: 1 } }).png().toFile(file);
}

/**
 * A stand-in detector: the map is the image's grey level sampled at SIZE×SIZE, the image score
 * its mean; images 13 pixels wide make it fail, as a model would on bad input.
 */
function fakeDetector(seen: string[]): MapDetector {
  return {
    settings: { imageSize: SIZE },
    async detect(images: readonly RawImage[], promptName: string) {
      seen.push(`${promptName}×${images.length}`);
      if (images.some((im) => im.width === 13)) throw new AaclipError('the fake model refuses 13-pixel images');
      return images.map((im) => {
        const map = new Float32Array(SIZE * SIZE);
        for (let y = 0; y < SIZE; y++) {
          for (let x = 0; x < SIZE; x++) {
            const sx = Math.floor(((x + 0.5) * im.width) / SIZE);
            const sy = Math.floor(((y + 0.5) * im.height) / SIZE);
            map[y * SIZE + x] = im.data[(sy * im.width + sx) * im.channels]! / 255;
          }
        }
        return { anomalyMap: map, imageScore: map.reduce((a, b) => a + b, 0) / map.length };
      });
    },
  };
}

async function makeClass(name: string, promptName: string, levels: number[], badIndex = -1): Promise<EvaluationClass> {
  const samples = [];
  for (const [i, level] of levels.entries()) {
    const anomalous = i % 2 === 1;
    const imagePath = path.join(work, name, `${i}.png`);
    await writePng(imagePath, i === badIndex ? 13 : 16, level, anomalous);
    let maskPath: string | null = null;
    if (anomalous) {
      maskPath = path.join(work, name, `${i}_mask.png`);
      await writePng(maskPath, 16, 0, true);
    }
    samples.push({ imagePath, maskPath, label: anomalous ? 1 : 0 });
  }
  return { name, promptName, samples };
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-evaluate-dataset-'));
});
afterAll(async () => rm(work, { recursive: true, force: true }));

describe('evaluateDataset', () => {
  it('scores every class with its prompt name, lists a failing image and evaluates the rest', async () => {
    const classes = [await makeClass('a', 'thing a', [40, 60, 50, 70, 45], 2), await makeClass('b', 'thing b', [30, 80, 35])];
    const seen: string[] = [];
    let made = 0;
    const out = path.join(work, 'out1');
    const result = await evaluateDataset({
      detector: async () => {
        made++;
        return fakeDetector(seen);
      },
      classes,
      domain: 'industrial',
      outDir: out,
      batchSize: 2,
      saveMaps: true,
      gallerySize: 1,
    });
    expect(made).toBe(1);
    // Batches of two; the batch holding the 13-pixel image is retried one image at a time.
    expect(seen).toEqual(['thing a×2', 'thing a×2', 'thing a×1', 'thing a×1', 'thing a×1', 'thing b×2', 'thing b×1']);
    expect(result.failures).toEqual([`${classes[0]!.samples[2]!.imagePath}: the fake model refuses 13-pixel images`]);
    expect(result.classes.map((c) => c.count)).toEqual([4, 3]);
    expect(result.classes.map((c) => c.promptName)).toEqual(['thing a', 'thing b']);
    // The metrics file agrees with the protocol run again on the saved maps.
    const json = JSON.parse(await readFile(path.join(out, 'metrics.json'), 'utf8')) as MetricsJson;
    for (const name of ['a', 'b']) {
      const saved = await readClassMaps(path.join(out, 'maps', `${name}.safetensors`));
      expect(json.classes[name]).toEqual(evaluateClass(saved).metrics);
    }
    // Anomalous images are brighter inside their defect, so the maps separate the pixels perfectly.
    expect(json.classes.b!.pixel_auroc).toBe(1);
    expect(result.classes[1]!.gallery!.map((g) => g.rank)).toEqual(['highest', 'lowest']);
  });

  it('on resume reuses finished classes without making a detector, and refuses another run’s results', async () => {
    const classes = [await makeClass('c', 'thing c', [40, 60, 50, 70]), await makeClass('d', 'thing d', [30, 80, 35, 90])];
    const out = path.join(work, 'out2');
    const seen: string[] = [];
    const first = await evaluateDataset({ detector: fakeDetector(seen), classes, domain: 'medical', outDir: out, run: { model: 'x' } });
    const metrics1 = await readFile(path.join(out, 'metrics.json'), 'utf8');
    const resumedNames: string[] = [];
    const second = await evaluateDataset({
      detector: async () => {
        throw new Error('no detector should be needed');
      },
      classes,
      domain: 'medical',
      outDir: out,
      resume: true,
      run: { model: 'x' },
      onClassDone: (r, resumed) => resumed && resumedNames.push(r.className),
    });
    expect(resumedNames).toEqual(['c', 'd']);
    expect(second.classes.map((c) => c.metrics)).toEqual(first.classes.map((c) => c.metrics));
    expect(await readFile(path.join(out, 'metrics.json'), 'utf8')).toBe(metrics1);
    await expect(
      evaluateDataset({ detector: fakeDetector([]), classes, domain: 'medical', outDir: out, resume: true, run: { model: 'y' } }),
    ).rejects.toThrowError(`${path.join(out, 'classes', 'c.json')}: was written by a different run`);
  });
});

describe('evaluateDataset on awkward inputs (issue 13)', () => {
  const noDetector = async (): Promise<MapDetector> => {
    throw new Error('no detector should be needed');
  };

  it('keeps classes "a b" and "a_b" apart: their own classes/… files and gallery/… folders, and --resume reuses each', async () => {
    const spaced = await makeClass('a b', 'thing', [40, 90, 45, 95]);
    const underscored = await makeClass('a_b', 'thing', [90, 40, 95, 45]); // brighter normals: image AUROC 0, not 1
    const classes = [spaced, underscored];
    const out = path.join(work, 'out-names');
    const first = await evaluateDataset({ detector: fakeDetector([]), classes, domain: 'industrial', outDir: out, run: { model: 'x' }, gallerySize: 1, saveMaps: true });
    const stems = classes.map((c) => classFileStem(c.name));
    expect(stems[1]).toBe('a_b');
    expect(stems[0]).toMatch(/^a_b~[0-9a-f]{12}$/);
    for (const [i, c] of classes.entries()) {
      const saved = JSON.parse(await readFile(path.join(out, 'classes', `${stems[i]}.json`), 'utf8')) as { className: string };
      expect(saved.className).toBe(c.name);
      expect((await readClassMaps(path.join(out, 'maps', `${stems[i]}.safetensors`))).className).toBe(c.name);
      const hrefs = first.classes[i]!.gallery!.map((g) => g.href);
      expect(hrefs.length).toBeGreaterThan(0);
      for (const href of hrefs) {
        expect(href.startsWith(`gallery/${stems[i]}/`)).toBe(true);
        expect(existsSync(path.join(out, href))).toBe(true);
      }
    }
    // The two classes score differently, and the report shows each its own numbers and pictures.
    const json = JSON.parse(await readFile(path.join(out, 'metrics.json'), 'utf8')) as MetricsJson;
    expect(json.classes['a b']).toEqual(first.classes[0]!.metrics);
    expect(json.classes.a_b).toEqual(first.classes[1]!.metrics);
    expect(first.classes[0]!.metrics).not.toEqual(first.classes[1]!.metrics);
    const html = await readFile(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain(`src="gallery/${stems[0]}/`);
    expect(html).toContain('src="gallery/a_b/');

    const resumed: string[] = [];
    const second = await evaluateDataset({
      detector: noDetector, classes, domain: 'industrial', outDir: out, resume: true, run: { model: 'x' },
      onClassDone: (r, wasResumed) => wasResumed && resumed.push(r.className),
    });
    expect(resumed).toEqual(['a b', 'a_b']);
    expect(second.classes.map((c) => c.metrics)).toEqual(first.classes.map((c) => c.metrics));
  });

  it('names escaped classes and pictures injectively and briefly', () => {
    const names = ['a b', 'a_b', 'a/b', 'a\\b', '..', '.', '.hidden', 'end.', 'x'.repeat(300), 'x'.repeat(299) + 'y', 'Äpfel', 'A', 'bottle', 'CVC-300', 'metal_nut'];
    const stems = names.map(classFileStem);
    expect(new Set(stems).size).toBe(names.length);
    expect(stems.slice(-3)).toEqual(['bottle', 'CVC-300', 'metal_nut']);
    for (const stem of stems) {
      expect(stem).toMatch(/^[A-Za-z0-9_-][A-Za-z0-9._~-]*$/);
      expect(stem.length).toBeLessThanOrEqual(80);
    }
  });

  it('on resume removes the temporary files an interrupted run left, and nothing else', async () => {
    const classes = [await makeClass('t', 'thing t', [40, 60, 50, 70])];
    const out = path.join(work, 'out-stale');
    await evaluateDataset({ detector: fakeDetector([]), classes, domain: 'industrial', outDir: out, run: { model: 'x' }, gallerySize: 1 });
    const stale = [
      path.join(out, '.metrics.json.0123456789ab.tmp'),
      path.join(out, 'classes', '.t.json.a1b2c3d4e5f6.tmp'),
      path.join(out, 'gallery', 't', '.highest-1-t_1.png.ffffffffffff.tmp'),
    ];
    const kept = [path.join(out, 'notes.tmp'), path.join(out, '.notes.0123456789ab.tmp.txt'), path.join(out, 'classes', 'other.0123456789ab.tmp')];
    for (const file of [...stale, ...kept]) await writeFile(file, 'partial');
    await mkdir(path.join(out, '.folder.0123456789ab.tmp'));

    const result = await evaluateDataset({ detector: noDetector, classes, domain: 'industrial', outDir: out, resume: true, run: { model: 'x' } });
    expect([...result.staleFilesRemoved].sort()).toEqual([...stale].sort());
    for (const file of stale) expect(existsSync(file)).toBe(false);
    for (const file of [...kept, path.join(out, '.folder.0123456789ab.tmp')]) expect(existsSync(file)).toBe(true);
    expect((await readdir(path.join(out, 'gallery', 't'))).every((n) => n.endsWith('.png'))).toBe(true);
  });

  it('warns, as datasets check does, about a blank mask of an anomalous image and a mask of another size', async () => {
    const dir = path.join(work, 'odd-masks');
    const sample = async (i: number, level: number, mask: 'none' | 'good' | 'blank' | 'small') => {
      const imagePath = path.join(dir, `${i}.png`);
      await writePng(imagePath, 16, level, mask !== 'none');
      if (mask === 'none') return { imagePath, maskPath: null, label: 0 };
      const maskPath = path.join(dir, `${i}_mask.png`);
      await writePng(maskPath, mask === 'small' ? 12 : 16, 0, mask !== 'blank');
      return { imagePath, maskPath, label: 1 };
    };
    const samples = [await sample(0, 40, 'none'), await sample(1, 60, 'good'), await sample(2, 45, 'blank'), await sample(3, 70, 'small')];
    const out = path.join(work, 'out-odd-masks');
    const result = await evaluateDataset({ detector: fakeDetector([]), classes: [{ name: 'm', promptName: 'm', samples }], domain: 'industrial', outDir: out, run: {} });
    expect(result.warnings).toEqual([
      `${samples[2]!.maskPath}: mask is all zero but its image 2.png is labelled anomalous`,
      `${samples[3]!.maskPath}: mask is 12×12 but its image 3.png is 16×16`,
    ]);
    expect(result.failures).toEqual([]);
    expect(result.classes[0]!.count).toBe(4);
    // Saved with the class, so a resumed run still reports them.
    const resumed = await evaluateDataset({ detector: noDetector, classes: [{ name: 'm', promptName: 'm', samples }], domain: 'industrial', outDir: out, run: {}, resume: true });
    expect(resumed.warnings).toEqual(result.warnings);
  });
});
