import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AaclipError } from '@aaclip/core';
import type { Tensor } from '@aaclip/core';
import {
  auroc,
  ClassEvaluator,
  evaluateClass,
  meanMetrics,
  minMaxNormaliseInPlace,
} from '@aaclip/eval';
import type { ClassPredictions } from '@aaclip/eval';
import { fixtureFile } from '../../../test-support/fixture.js';
import { fixtureTensors } from '../../../test-support/fixtureLoader.js';
import { bruteAupro, bruteRegions, seededRandom } from './bruteForceMetrics.js';

interface FixtureConfig {
  class_name: string;
  metrics: Record<string, number | string>;
  metrics_exact: { pixel_auroc: number; pixel_ap: number; image_auroc: number; image_ap: number };
}

function fixturePredictions(): { predictions: ClassPredictions; config: FixtureConfig } {
  const config = JSON.parse(readFileSync(fixtureFile('config.json'), 'utf8')) as FixtureConfig;
  const golden = fixtureTensors('golden.safetensors');
  const get = (name: string): Tensor => golden.get(name)!;
  const maps = get('metric_pixel_preds');
  const [count, height, width] = maps.shape as [number, number, number];
  const labels = get('metric_labels').data as BigInt64Array;
  return {
    config,
    predictions: {
      className: config.class_name,
      domain: 'industrial',
      count,
      height,
      width,
      maps: maps.data as Float32Array,
      masks: Uint8Array.from(get('metric_masks').data as Float32Array, (v) => (v !== 0 ? 1 : 0)),
      labels: Uint8Array.from(labels, (v) => (v !== 0n ? 1 : 0)),
      imageScores: get('metric_image_preds').data as Float32Array,
    },
  };
}

describe('the AA-CLIP protocol on the fixture metric arrays', () => {
  it("equals the reference's scikit-learn results (unrounded) within 1e-9", () => {
    const { predictions, config } = fixturePredictions();
    const before = predictions.maps.slice();
    const result = evaluateClass(predictions);
    const exact = config.metrics_exact;
    const errors = {
      pixel_auroc: Math.abs(result.metrics.pixel_auroc! - exact.pixel_auroc),
      pixel_ap: Math.abs(result.metrics.pixel_ap! - exact.pixel_ap),
      image_auroc: Math.abs(result.metrics.image_auroc! - exact.image_auroc),
      image_ap: Math.abs(result.metrics.image_ap! - exact.image_ap),
    };
    console.log('fixture metric parity (absolute errors):', errors);
    for (const e of Object.values(errors)) expect(e).toBeLessThan(1e-9);
    // As the reference prints them: ×100 after rounding to 4 decimals.
    expect(Math.round(result.metrics.pixel_auroc! * 1e4) / 100).toBeCloseTo(config.metrics['pixel AUC'] as number, 9);
    expect(Math.round(result.metrics.image_ap! * 1e4) / 100).toBeCloseTo(config.metrics['image AP'] as number, 9);
    // The caller's maps are left alone unless asked otherwise; the extra metrics are defined.
    expect(predictions.maps).toEqual(before);
    for (const name of ['pixel_aupro', 'pixel_f1max', 'image_f1max'] as const) {
      expect(result.metrics[name]).toBeGreaterThan(0);
      expect(result.metrics[name]).toBeLessThanOrEqual(1);
    }
  });

  it('ClassEvaluator (one image at a time, storage growing) gives the same result', () => {
    const { predictions } = fixturePredictions();
    const { count, height, width } = predictions;
    const plane = height * width;
    const evaluator = new ClassEvaluator({ className: 'bottle', domain: 'industrial', width, height, capacity: 5 });
    for (let i = 0; i < count; i++) {
      evaluator.add({
        id: `img${i}.png`,
        map: predictions.maps.slice(i * plane, (i + 1) * plane),
        imageScore: predictions.imageScores[i]!,
        label: predictions.labels[i]!,
        mask: { width, height, data: predictions.masks.subarray(i * plane, (i + 1) * plane) },
      });
    }
    const streamed = evaluator.finish();
    const whole = evaluateClass(predictions);
    expect(streamed.metrics).toEqual(whole.metrics);
    expect(streamed.images.map((im) => im.id)).toEqual(Array.from({ length: count }, (_, i) => `img${i}.png`));
    // After finish the stored maps are normalised: the largest value over the class is 1.
    let max = 0;
    for (let i = 0; i < count; i++) max = Math.max(max, ...evaluator.normalisedMap(i));
    expect(max).toBe(1);
  });
});

/** A small synthetic class: square defects in anomalous images, maps brighter there. */
function syntheticClass(count: number, size: number, seed: number, anomalous: (i: number) => boolean): ClassPredictions {
  const random = seededRandom(seed);
  const plane = size * size;
  const maps = new Float32Array(count * plane);
  const masks = new Uint8Array(count * plane);
  const labels = new Uint8Array(count);
  const imageScores = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = anomalous(i) ? 1 : 0;
    if (labels[i]) {
      const x0 = Math.floor(random() * (size - 4));
      const y0 = Math.floor(random() * (size - 4));
      for (let y = y0; y < y0 + 4; y++) for (let x = x0; x < x0 + 4; x++) masks[i * plane + y * size + x] = 1;
    }
    for (let p = 0; p < plane; p++) maps[i * plane + p] = 3 + random() + masks[i * plane + p]! * random();
    imageScores[i] = 0.4 + 0.1 * random() + 0.05 * labels[i]!;
  }
  return { className: 'synthetic', domain: 'industrial', count, height: size, width: size, maps, masks, labels, imageScores };
}

/** The protocol's AUPRO from its definition: min–max normalised maps, 8-connected regions, FPR up to 0.3. */
function bruteProtocolAupro(predictions: ClassPredictions): number {
  const maps = predictions.maps.slice();
  minMaxNormaliseInPlace(maps, 'test');
  const { count, height, width } = predictions;
  return bruteAupro(maps, bruteRegions(predictions.masks, count, height, width), 0.3);
}

describe('the protocol\'s AUPRO against a brute-force value', () => {
  it('on synthetic classes (one square defect per anomalous image, and touching defects merged by 8-connectivity)', () => {
    for (const seed of [11, 12, 13]) {
      const predictions = syntheticClass(8, 16, seed, (i) => i % 3 !== 0);
      if (seed === 13) {
        // Two squares touching only at a corner: one region under 8-connectivity.
        const plane = 16 * 16;
        predictions.masks.fill(0, 0, plane);
        for (const [x0, y0] of [[1, 1], [5, 5]] as const) {
          for (let y = y0; y < y0 + 4; y++) for (let x = x0; x < x0 + 4; x++) predictions.masks[y * 16 + x] = 1;
        }
        predictions.labels[0] = 1;
      }
      const { metrics } = evaluateClass(predictions);
      expect(metrics.pixel_aupro).not.toBeNull();
      expect(Math.abs(metrics.pixel_aupro! - bruteProtocolAupro(predictions))).toBeLessThan(1e-12);
    }
  });

  it('on the fixture metric arrays (their first four images: the brute force is quadratic)', () => {
    const { predictions: all } = fixturePredictions();
    const count = 4;
    const plane = all.height * all.width;
    const predictions: ClassPredictions = {
      ...all,
      count,
      maps: all.maps.slice(0, count * plane),
      masks: all.masks.slice(0, count * plane),
      labels: all.labels.slice(0, count),
      imageScores: all.imageScores.slice(0, count),
    };
    expect(predictions.masks.some((m) => m !== 0)).toBe(true);
    const expected = bruteProtocolAupro(predictions);
    expect(Math.abs(evaluateClass(predictions).metrics.pixel_aupro! - expected)).toBeLessThan(1e-12);
  });
});

describe('protocol edge cases', () => {
  it('a class with one label value reports image metrics as null (pixel metrics still defined)', () => {
    const predictions = syntheticClass(6, 16, 1, () => true);
    const { metrics } = evaluateClass(predictions);
    expect([metrics.image_auroc, metrics.image_ap, metrics.image_f1max]).toEqual([null, null, null]);
    expect(metrics.pixel_auroc).toBeGreaterThan(0.5);
    expect(metrics.pixel_aupro).not.toBeNull();
  });

  it('empty masks make the pixel metrics null, never 0 or NaN', () => {
    const predictions = { ...syntheticClass(6, 16, 2, (i) => i % 2 === 1), masks: new Uint8Array(6 * 256) };
    const { metrics } = evaluateClass(predictions);
    expect([metrics.pixel_auroc, metrics.pixel_ap, metrics.pixel_aupro, metrics.pixel_f1max]).toEqual([null, null, null, null]);
    expect(metrics.image_auroc).not.toBeNull();
    expect(JSON.parse(JSON.stringify(metrics))).toEqual(metrics);
  });

  it('all scores tied: pixel and image AUROC are ½', () => {
    const predictions = syntheticClass(6, 16, 3, (i) => i % 2 === 1);
    const tied = { ...predictions, maps: new Float32Array(predictions.maps.length).fill(0.25), imageScores: new Float32Array(6).fill(2) };
    const { metrics } = evaluateClass(tied);
    expect(metrics.pixel_auroc).toBe(0.5);
    expect(metrics.image_auroc).toBe(0.5);
    const positives = tied.masks.reduce((s, m) => s + m, 0);
    expect(metrics.pixel_ap).toBeCloseTo(positives / tied.masks.length, 15);
  });

  it('a NaN in a map is a clear error naming the image and the pixel', () => {
    const predictions = syntheticClass(4, 8, 4, (i) => i > 1);
    predictions.maps[2 * 64 + 8 * 3 + 5] = NaN;
    const named = { ...predictions, ids: ['a.png', 'b.png', 'c.png', 'd.png'] };
    expect(() => evaluateClass(named)).toThrowError(AaclipError);
    expect(() => evaluateClass(named)).toThrowError('class synthetic: the anomaly map of c.png at (x 5, y 3) is NaN');
    const evaluator = new ClassEvaluator({ className: 'synthetic', domain: 'industrial', width: 8, height: 8 });
    const map = new Float32Array(64);
    map[9] = NaN;
    expect(() => evaluator.add({ id: 'x/y.png', map, imageScore: 0.3, label: 0 })).toThrowError('x/y.png: anomaly map is NaN at (x 1, y 1)');
  });

  it('industrial image score is ½·max(map) + ½·score; medical is max(map)', () => {
    const predictions = syntheticClass(10, 12, 5, (i) => i % 3 !== 0);
    const industrial = evaluateClass(predictions);
    const medical = evaluateClass({ ...predictions, domain: 'medical' });
    const scoreRange = industrial.normalisation.imageScore;
    for (let i = 0; i < 10; i++) {
      const normalisedScore = Math.fround(Math.fround(predictions.imageScores[i]! - scoreRange.min) / Math.fround(scoreRange.max - scoreRange.min));
      expect(industrial.images[i]!.score).toBe(Math.fround(industrial.images[i]!.mapMax * 0.5 + normalisedScore * 0.5));
      expect(medical.images[i]!.score).toBe(medical.images[i]!.mapMax);
    }
    const maxima = Float32Array.from(medical.images, (im) => im.mapMax);
    expect(medical.metrics.image_auroc).toBe(auroc(maxima, predictions.labels));
  });

  it('the mean skips undefined metrics and is null when no class defines one', () => {
    const a = evaluateClass(syntheticClass(6, 16, 6, () => true)).metrics;
    const b = evaluateClass(syntheticClass(6, 16, 7, (i) => i % 2 === 0)).metrics;
    const mean = meanMetrics([a, b]);
    expect(mean.image_auroc).toBe(b.image_auroc);
    expect(mean.pixel_auroc).toBeCloseTo((a.pixel_auroc! + b.pixel_auroc!) / 2, 15);
    expect(meanMetrics([a]).image_ap).toBeNull();
  });
});

describe('normalisation and masks', () => {
  it('min–max normalises in float32 like NumPy, leaving values whose max is 1 alone (reference behaviour)', () => {
    const values = Float32Array.from([0.3, 2.7, 1.1, 0.3]);
    const range = minMaxNormaliseInPlace(values, 'v');
    expect(range).toEqual({ min: Math.fround(0.3), max: Math.fround(2.7) });
    expect(values[0]).toBe(0);
    expect(values[1]).toBe(1);
    expect(values[2]).toBe(Math.fround(Math.fround(Math.fround(1.1) - Math.fround(0.3)) / Math.fround(Math.fround(2.7) - Math.fround(0.3))));
    const unit = Float32Array.from([0.5, 1, 0.75]);
    minMaxNormaliseInPlace(unit, 'v');
    expect(Array.from(unit)).toEqual([0.5, 1, 0.75]);
    const constant = Float32Array.from([4, 4]);
    minMaxNormaliseInPlace(constant, 'v');
    expect(Array.from(constant)).toEqual([0, 0]);
  });
});
