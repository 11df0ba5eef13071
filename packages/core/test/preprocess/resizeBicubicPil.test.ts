import { describe, expect, it } from 'vitest';
import { resizeBicubicPil } from '../../src/preprocess/resizeBicubicPil.js';
import { normalizeToChw, CLIP_MEAN, CLIP_STD } from '../../src/preprocess/normalizeToChw.js';
import type { Rgb8Image } from '../../src/preprocess/rgb8Image.js';

function noise(width: number, height: number, seed = 11): Rgb8Image {
  const data = new Uint8Array(width * height * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = s >>> 23;
  }
  return { width, height, data };
}

describe('resizeBicubicPil', () => {
  it('returns an exact copy at the same size', () => {
    const src = noise(5, 4);
    const out = resizeBicubicPil(src, 5, 4);
    expect(out.data).not.toBe(src.data);
    expect(Array.from(out.data)).toEqual(Array.from(src.data));
  });

  it('keeps a constant image exactly constant (fixed-point rounding is unbiased)', () => {
    for (const v of [0, 1, 128, 254, 255]) {
      const src: Rgb8Image = { width: 37, height: 23, data: new Uint8Array(37 * 23 * 3).fill(v) };
      for (const [w, h] of [[48, 48], [10, 30], [37, 5], [100, 23]] as const) {
        const out = resizeBicubicPil(src, w, h);
        expect(out.data.length).toBe(w * h * 3);
        expect(out.data.every((x) => x === v)).toBe(true);
      }
    }
  });

  it('skips the pass of an unchanged axis: a width-only resize acts on each row alone', () => {
    const src = noise(20, 3);
    const out = resizeBicubicPil(src, 13, 3);
    for (let y = 0; y < 3; y++) {
      const row: Rgb8Image = { width: 20, height: 1, data: src.data.slice(y * 60, (y + 1) * 60) };
      expect(Array.from(out.data.slice(y * 39, (y + 1) * 39))).toEqual(Array.from(resizeBicubicPil(row, 13, 1).data));
    }
  });

  it('clips overshoot to 0..255 (a hard edge, upsampled, rings)', () => {
    const data = new Uint8Array(8 * 1 * 3);
    data.fill(255, 12);
    const out = resizeBicubicPil({ width: 8, height: 1, data }, 40, 1);
    // The bicubic kernel's negative lobes would undershoot below 0 and overshoot above 255.
    expect(Math.min(...out.data)).toBe(0);
    expect(Math.max(...out.data)).toBe(255);
  });

  it('rejects bad sizes naming the image', () => {
    expect(() => resizeBicubicPil(noise(4, 4), 0, 4, 'x.png')).toThrow(/^x\.png: resize target/);
    expect(() => resizeBicubicPil({ width: 4, height: 4, data: new Uint8Array(5) }, 4, 4, 'y.png')).toThrow(/^y\.png: has 5 bytes/);
  });
});

describe('normalizeToChw', () => {
  it('writes planar channels with (x/255 - mean)/std', () => {
    const rgb: Rgb8Image = { width: 2, height: 1, data: Uint8Array.from([0, 128, 255, 10, 20, 30]) };
    const out = normalizeToChw(rgb);
    const expected = [
      [0, 10],
      [128, 20],
      [255, 30],
    ];
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < 2; p++) {
        expect(out[c * 2 + p]).toBeCloseTo((expected[c]![p]! / 255 - CLIP_MEAN[c]!) / CLIP_STD[c]!, 5);
      }
    }
    const plain = normalizeToChw(rgb, [0, 0, 0], [1, 1, 1]);
    expect(plain[2]).toBeCloseTo(128 / 255, 6);
    expect(() => normalizeToChw(rgb, [0, 0], [1, 1, 1])).toThrow(/3 values/);
    expect(() => normalizeToChw(rgb, [0, 0, 0], [1, 0, 1])).toThrow(/non-zero/);
  });
});
