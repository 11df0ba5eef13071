import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AaclipError } from '@aaclip/core';
import type { RawImage } from '@aaclip/core';
import { evaluateDataset, readClassMaps, evaluateClass } from '@aaclip/eval';
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
