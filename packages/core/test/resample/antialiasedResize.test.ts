import { describe, expect, it } from 'vitest';
import {
  antialiasedBicubicWeights,
  bicubicKernel,
  resizeAntialiasedBicubicPlanar,
} from '../../src/resample/antialiasedResize.js';
import { AaclipError } from '../../src/errors/aaclipError.js';

function seeded(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = s / 2147483648 - 0.5;
  }
  return out;
}

describe('bicubicKernel (a = -0.5)', () => {
  it('is 1 at 0, 0 at the other integers, and matches the Keys polynomial in between', () => {
    expect(bicubicKernel(0)).toBe(1);
    for (const x of [-2, -1, 1, 2, 3]) expect(bicubicKernel(x)).toBeCloseTo(0, 15);
    // Keys with a = -0.5: 1.5|x|^3 - 2.5|x|^2 + 1 on [0,1); -0.5|x|^3 + 2.5|x|^2 - 4|x| + 2 on [1,2).
    for (const x of [0.1, 0.25, 0.5, 0.9, -0.3]) {
      const t = Math.abs(x);
      expect(bicubicKernel(x)).toBeCloseTo(1.5 * t ** 3 - 2.5 * t ** 2 + 1, 12);
    }
    for (const x of [1.1, 1.25, 1.5, -1.75]) {
      const t = Math.abs(x);
      expect(bicubicKernel(x)).toBeCloseTo(-0.5 * t ** 3 + 2.5 * t ** 2 - 4 * t + 2, 12);
    }
  });
});

describe('antialiasedBicubicWeights', () => {
  it('rows sum to 1 and stay inside the input, for up- and downscaling', () => {
    for (const [inSize, outSize] of [[4, 6], [24, 37], [64, 48], [80, 48], [60, 48], [7, 3], [1, 5], [5, 1]] as const) {
      const t = antialiasedBicubicWeights(inSize, outSize);
      for (let i = 0; i < outSize; i++) {
        const start = t.starts[i]!;
        const size = t.sizes[i]!;
        expect(start).toBeGreaterThanOrEqual(0);
        expect(size).toBeGreaterThan(0);
        expect(start + size).toBeLessThanOrEqual(inSize);
        let sum = 0;
        for (let k = 0; k < size; k++) sum += t.weights[i * t.taps + k]!;
        expect(sum).toBeCloseTo(1, 12);
      }
    }
  });

  it('is the identity at equal sizes', () => {
    const t = antialiasedBicubicWeights(9, 9);
    for (let i = 0; i < 9; i++) {
      for (let k = 0; k < t.sizes[i]!; k++) {
        const w = t.weights[i * t.taps + k]!;
        expect(w).toBeCloseTo(t.starts[i]! + k === i ? 1 : 0, 12);
      }
    }
  });

  it('halving 4 → 2 spreads the kernel over 4 taps (support 2·scale), mirrored between the two outputs', () => {
    const t = antialiasedBicubicWeights(4, 2);
    // Output 0 is centred at 1.0; taps j = 0..3 at (j + 0.5 - 1) / 2 = -0.25, 0.25, 0.75, 1.25.
    const raw = [-0.25, 0.25, 0.75, 1.25].map((x) => {
      const u = Math.abs(x);
      return u < 1 ? 1.5 * u ** 3 - 2.5 * u ** 2 + 1 : -0.5 * u ** 3 + 2.5 * u ** 2 - 4 * u + 2;
    });
    const total = raw.reduce((a, b) => a + b, 0);
    expect(t.starts[0]).toBe(0);
    expect(t.sizes[0]).toBe(4);
    for (let k = 0; k < 4; k++) expect(t.weights[k]).toBeCloseTo(raw[k]! / total, 12);
    // Output 1 (centre 3.0) is the mirror image.
    expect(t.starts[1]).toBe(0);
    expect(t.sizes[1]).toBe(4);
    for (let k = 0; k < 4; k++) expect(t.weights[t.taps + k]).toBeCloseTo(raw[3 - k]! / total, 12);
  });

  it('rejects non-positive sizes with an AaclipError', () => {
    expect(() => antialiasedBicubicWeights(0, 3)).toThrow(AaclipError);
    expect(() => antialiasedBicubicWeights(3, 2.5)).toThrow(/resample output size/);
  });
});

describe('resizeAntialiasedBicubicPlanar', () => {
  it('returns an equal copy when sizes are unchanged', () => {
    const src = seeded(2 * 5 * 7);
    const out = resizeAntialiasedBicubicPlanar(src, 2, 5, 7, 5, 7);
    expect(out).not.toBe(src);
    expect(Array.from(out)).toEqual(Array.from(src));
  });

  it('keeps a constant image constant (per channel)', () => {
    const src = new Float32Array(2 * 4 * 4);
    src.fill(0.75, 0, 16);
    src.fill(-3, 16, 32);
    for (const [oh, ow] of [[6, 6], [2, 3], [37, 37], [1, 1]] as const) {
      const out = resizeAntialiasedBicubicPlanar(src, 2, 4, 4, oh, ow);
      expect(out.length).toBe(2 * oh * ow);
      for (let i = 0; i < oh * ow; i++) {
        expect(out[i]).toBeCloseTo(0.75, 6);
        expect(out[oh * ow + i]).toBeCloseTo(-3, 5);
      }
    }
  });

  it('commutes with mirroring (the sampling grid is symmetric)', () => {
    const [h, w, oh, ow] = [4, 5, 6, 9];
    const src = seeded(h * w, 7);
    const flipped = new Float32Array(h * w);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) flipped[y * w + x] = src[(h - 1 - y) * w + (w - 1 - x)]!;
    const a = resizeAntialiasedBicubicPlanar(src, 1, h, w, oh, ow);
    const b = resizeAntialiasedBicubicPlanar(flipped, 1, h, w, oh, ow);
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) expect(b[y * ow + x]).toBeCloseTo(a[(oh - 1 - y) * ow + (ow - 1 - x)]!, 5);
    }
  });

  it('halving a 2×2 block image averages exactly (two equal taps per axis)', () => {
    // 2 → 1: centre 1.0, taps at ±0.25 after scaling, equal weights 1/2 each.
    const out = resizeAntialiasedBicubicPlanar(Float32Array.from([1, 2, 3, 6]), 1, 2, 2, 1, 1);
    expect(out[0]).toBeCloseTo(3, 6);
  });

  it('is separable: resizing a rank-1 image gives the product of the 1-D resizes', () => {
    const col = seeded(4, 3);
    const row = seeded(4, 5);
    const img = new Float32Array(16);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) img[y * 4 + x] = col[y]! * row[x]!;
    const out = resizeAntialiasedBicubicPlanar(img, 1, 4, 4, 6, 6);
    const c6 = resizeAntialiasedBicubicPlanar(col, 1, 4, 1, 6, 1);
    const r6 = resizeAntialiasedBicubicPlanar(row, 1, 1, 4, 1, 6);
    for (let y = 0; y < 6; y++) for (let x = 0; x < 6; x++) expect(out[y * 6 + x]).toBeCloseTo(c6[y]! * r6[x]!, 6);
  });

  it('rejects a buffer of the wrong length', () => {
    expect(() => resizeAntialiasedBicubicPlanar(new Float32Array(10), 1, 4, 4, 6, 6)).toThrow(/resample input/);
  });
});
