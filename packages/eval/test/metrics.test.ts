import { describe, expect, it } from 'vitest';
import { AaclipError } from '@aaclip/core';
import {
  aupro,
  auroc,
  averagePrecision,
  binaryMetrics,
  connectedComponents,
  f1Max,
  keyOfScore,
  pixelMetrics,
  radixSortWithPayload,
  scoreOfKey,
} from '@aaclip/eval';
import { bruteAupro, bruteAuroc, bruteAveragePrecision, bruteF1Max, seededRandom } from './bruteForceMetrics.js';

const f32 = (values: number[]): Float32Array => Float32Array.from(values);
const u8 = (values: number[]): Uint8Array => Uint8Array.from(values);

describe('score keys', () => {
  it('order like the numbers they stand for, and round-trip', () => {
    const values = [-Infinity, -3.5, -1e-30, 0, 1e-45, 0.25, 1, 7e30, Infinity].map(Math.fround);
    const keys = values.map(keyOfScore);
    for (let i = 1; i < keys.length; i++) expect(keys[i]).toBeGreaterThan(keys[i - 1]!);
    values.forEach((v, i) => expect(scoreOfKey(keys[i]!)).toBe(v));
    expect(keyOfScore(-0)).toBe(keyOfScore(0));
  });
});

describe('AUROC / AP / F1-max', () => {
  it("match scikit-learn's documented examples", () => {
    // roc_auc_score and average_precision_score docstrings: y = [0, 0, 1, 1], s = [0.1, 0.4, 0.35, 0.8].
    const scores = f32([0.1, 0.4, 0.35, 0.8]);
    const labels = u8([0, 0, 1, 1]);
    expect(auroc(scores, labels)).toBeCloseTo(0.75, 15);
    expect(averagePrecision(scores, labels)).toBeCloseTo(0.8333333333333333, 15);
  });

  it('equal the brute-force definitions on random scores with many ties (both bucket strategies)', () => {
    const random = seededRandom(7);
    for (const [n, levels] of [
      [50, 5],
      [300, 40],
      [3000, 1e9],
      [6000, 3],
    ] as const) {
      const scores = new Float32Array(n);
      const labels = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        labels[i] = random() < 0.3 ? 1 : 0;
        // Positives score a little higher on average; quantised to `levels` values for ties.
        scores[i] = Math.round((random() + 0.3 * labels[i]!) * levels) / levels - 0.4;
      }
      const m = binaryMetrics(scores, labels);
      expect(m.auroc).toBeCloseTo(bruteAuroc(scores, labels), 12);
      expect(m.averagePrecision).toBeCloseTo(bruteAveragePrecision(scores, labels), 12);
      expect(m.f1Max).toBeCloseTo(bruteF1Max(scores, labels), 12);
      expect(m.positives + m.negatives).toBe(n);
    }
  });

  it('resolve large buckets by histogram exactly as small ones by sorting', () => {
    // 200 000 scores in [0.5, 0.5078): all share their 16 high key bits, so one bucket takes the histogram path.
    const random = seededRandom(11);
    const n = 200_000;
    const scores = new Float32Array(n);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = random() < 0.1 ? 1 : 0;
      scores[i] = 0.5 + (random() * 0.5 + 0.2 * labels[i]!) / 128;
    }
    const m = binaryMetrics(scores, labels);
    // Reference: a comparison sort, then the same sums as scikit-learn's binary clf curve.
    const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]!);
    let tp = 0;
    let fp = 0;
    let area = 0;
    let ap = 0;
    const positives = labels.reduce((s, l) => s + l, 0);
    for (let k = 0; k < n; ) {
      const t = scores[order[k]!]!;
      const tp0 = tp;
      const fp0 = fp;
      while (k < n && scores[order[k]!] === t) {
        if (labels[order[k]!]) tp++;
        else fp++;
        k++;
      }
      area += ((fp - fp0) * (tp + tp0)) / 2;
      ap += ((tp - tp0) / positives) * (tp / (tp + fp));
    }
    expect(m.auroc).toBeCloseTo(area / positives / (n - positives), 12);
    expect(m.averagePrecision).toBeCloseTo(ap, 12);
  });

  it('all scores tied: AUROC ½, AP and F1-max of predicting everything positive', () => {
    const n = 1000;
    const labels = new Uint8Array(n).map((_, i) => (i % 4 === 0 ? 1 : 0));
    const scores = new Float32Array(n).fill(0.7);
    const m = binaryMetrics(scores, labels, { curves: true });
    expect(m.auroc).toBe(0.5);
    expect(m.averagePrecision).toBeCloseTo(0.25, 15);
    expect(m.f1Max).toBeCloseTo((2 * 0.25 * 1) / 1.25, 15);
    expect(m.roc).toEqual({ x: [0, 1], y: [0, 1] });
  });

  it('treats -0 and +0 as one score, like scikit-learn', () => {
    expect(auroc(f32([-0, 0]), u8([1, 0]))).toBe(0.5);
  });

  it('a single label value gives null, not 0 or NaN', () => {
    const scores = f32([0.1, 0.5, 0.9]);
    for (const labels of [u8([0, 0, 0]), u8([1, 1, 1])]) {
      const m = binaryMetrics(scores, labels, { curves: true });
      expect(m.auroc).toBeNull();
      expect(m.averagePrecision).toBeNull();
      expect(m.f1Max).toBeNull();
      expect(m.roc).toBeNull();
    }
    expect(f1Max(new Float32Array(0), new Uint8Array(0))).toBeNull();
  });

  it('a NaN score is a clear error naming the sample', () => {
    expect(() => auroc(f32([0.1, NaN, 0.3]), u8([0, 1, 1]))).toThrowError(AaclipError);
    expect(() => auroc(f32([0.1, NaN, 0.3]), u8([0, 1, 1]))).toThrowError(/score 1 is NaN/);
    expect(() => auroc(f32([0.1]), u8([0, 1]))).toThrowError(/1 scores but 2 labels/);
  });

  it('curves are monotone, start and end where they should and stay small', () => {
    const random = seededRandom(3);
    const n = 50_000;
    const labels = new Uint8Array(n).map(() => (random() < 0.2 ? 1 : 0));
    const scores = new Float32Array(n).map((_, i) => random() + 0.5 * labels[i]!);
    const { roc, pr, auroc: area } = binaryMetrics(scores, labels, { curves: true, curveResolution: 100 });
    expect(roc!.x.length).toBeLessThanOrEqual(203);
    expect([roc!.x[0], roc!.y[0], roc!.x.at(-1), roc!.y.at(-1)]).toEqual([0, 0, 1, 1]);
    for (let i = 1; i < roc!.x.length; i++) {
      expect(roc!.x[i]).toBeGreaterThanOrEqual(roc!.x[i - 1]!);
      expect(roc!.y[i]).toBeGreaterThanOrEqual(roc!.y[i - 1]!);
    }
    // The downsampled curve's area is close to the exact one.
    let trapezoid = 0;
    for (let i = 1; i < roc!.x.length; i++) trapezoid += ((roc!.x[i]! - roc!.x[i - 1]!) * (roc!.y[i]! + roc!.y[i - 1]!)) / 2;
    expect(Math.abs(trapezoid - area!)).toBeLessThan(1e-3);
    expect([pr!.x[0], pr!.y[0], pr!.x.at(-1)]).toEqual([0, 1, 1]);
    expect(pr!.y.at(-1)).toBeCloseTo(labels.reduce((s, l) => s + l, 0) / n, 12);
  });
});

describe('connected components', () => {
  it('join diagonal neighbours with 8-connectivity only', () => {
    // 1 0 0 1
    // 0 1 0 1
    // 0 0 0 0
    // 1 1 0 0
    const mask = u8([1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0]);
    const eight = connectedComponents(mask, 4, 4, 8);
    expect(eight.count).toBe(3);
    expect([...eight.areas].sort()).toEqual([2, 2, 2]);
    expect(eight.labels[0]).toBe(eight.labels[5]);
    const four = connectedComponents(mask, 4, 4, 4);
    expect(four.count).toBe(4);
    expect(four.labels[0]).not.toBe(four.labels[5]);
    expect(four.labels[3]).toBe(four.labels[7]);
  });
});

describe('radix sort', () => {
  it('sorts keys and carries the payload', () => {
    const random = seededRandom(5);
    const keys = new Uint32Array(5000).map(() => Math.floor(random() * 2 ** 32));
    const payload = new Uint32Array(5000).map((_, i) => i);
    const sorted = radixSortWithPayload(keys, payload);
    const expected = Array.from(keys).sort((a, b) => a - b);
    expect(Array.from(sorted.keys)).toEqual(expected);
    for (let i = 0; i < 5000; i++) expect(keys[sorted.payload[i]!]).toBe(sorted.keys[i]);
  });
});

/** Random masks made of a few rectangles per image (some images empty) and noisy maps scoring them higher. */
function blobStack(count: number, height: number, width: number, seed: number, levels = 0) {
  const random = seededRandom(seed);
  const plane = height * width;
  const masks = new Uint8Array(count * plane);
  const maps = new Float32Array(count * plane);
  for (let i = 0; i < count; i++) {
    const blobs = i % 3 === 0 ? 0 : 1 + Math.floor(random() * 3);
    for (let b = 0; b < blobs; b++) {
      const h = 1 + Math.floor(random() * height * 0.4);
      const w = 1 + Math.floor(random() * width * 0.4);
      const y0 = Math.floor(random() * (height - h));
      const x0 = Math.floor(random() * (width - w));
      for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) masks[i * plane + y * width + x] = 255;
    }
    for (let p = 0; p < plane; p++) {
      const v = random() + 0.6 * (masks[i * plane + p]! ? random() : 0);
      maps[i * plane + p] = levels ? Math.round(v * levels) / levels : v;
    }
  }
  return { maps, masks, shape: { count, height, width } };
}

describe('AUPRO', () => {
  it('equals the definition (per-region overlap vs FPR, trapezoid to the limit, normalised)', () => {
    for (const [seed, levels, limit] of [
      [1, 0, 0.3],
      [2, 20, 0.3],
      [3, 0, 1],
      [4, 7, 0.05],
    ] as const) {
      const { maps, masks, shape } = blobStack(6, 12, 10, seed, levels);
      const regions = new Int32Array(maps.length);
      let offset = 0;
      for (let i = 0; i < shape.count; i++) {
        const plane = shape.height * shape.width;
        const cc = connectedComponents(masks.subarray(i * plane, (i + 1) * plane), shape.width, shape.height, 8);
        for (let p = 0; p < plane; p++) regions[i * plane + p] = cc.labels[p]! ? cc.labels[p]! + offset : 0;
        offset += cc.count;
      }
      expect(aupro(maps, masks, shape, { fprLimit: limit })).toBeCloseTo(bruteAupro(maps, regions, limit), 12);
    }
  });

  it('is 1 for a perfect map, null without regions, and 4-connectivity can change it', () => {
    const { masks, shape } = blobStack(5, 16, 16, 9);
    const perfect = Float32Array.from(masks, (m) => (m ? 1 : 0));
    expect(aupro(perfect, masks, shape)).toBeCloseTo(1, 14);
    const empty = new Uint8Array(masks.length);
    expect(aupro(perfect, empty, shape)).toBeNull();
    // 1 1 0
    // 0 0 1   8-connected: one region of 3 pixels; 4-connected: regions of 2 and 1 pixels.
    // 0 0 0
    const mask = u8([1, 1, 0, 0, 0, 1, 0, 0, 0]);
    const map = f32([0.5, 0.4, 0.3, 0.1, 0.6, 0.9, 0.2, 0.45, 0.05]);
    const one = { count: 1, height: 3, width: 3 };
    const eight = aupro(map, mask, one, { connectivity: 8, fprLimit: 1 })!;
    const four = aupro(map, mask, one, { connectivity: 4, fprLimit: 1 })!;
    expect(eight).toBeCloseTo(bruteAupro(map, [1, 1, 0, 0, 0, 1, 0, 0, 0], 1), 12);
    expect(four).toBeCloseTo(bruteAupro(map, [1, 1, 0, 0, 0, 2, 0, 0, 0], 1), 12);
    expect(four).toBeGreaterThan(eight);
  });

  it('pixelMetrics gives the same numbers as the separate functions, in one pass', () => {
    const { maps, masks, shape } = blobStack(8, 20, 20, 21, 50);
    const all = pixelMetrics(maps, masks, shape);
    expect(all.auroc).toBe(auroc(maps, masks));
    expect(all.averagePrecision).toBe(averagePrecision(maps, masks));
    expect(all.f1Max).toBe(f1Max(maps, masks));
    expect(all.aupro).toBe(aupro(maps, masks, shape));
    expect(pixelMetrics(maps, masks, shape, { aupro: false }).aupro).toBeNull();
  });
});
