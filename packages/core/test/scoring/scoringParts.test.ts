import { describe, expect, it } from 'vitest';
import { gaussianBlur, gaussianKernel1d, reflectIndex } from '../../src/scoring/gaussianBlur.js';
import { upsampleBilinear } from '../../src/scoring/upsampleBilinear.js';
import { levelAnomalyMap } from '../../src/scoring/levelMap.js';
import { fuseMaps } from '../../src/scoring/fuseMaps.js';
import { imageScore } from '../../src/scoring/imageScore.js';
import { AaclipError } from '../../src/errors/aaclipError.js';

function seeded(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = s / 2147483648;
  }
  return out;
}

describe('gaussianBlur', () => {
  it('kernel taps are symmetric, peak at the centre, sum to 1 and follow exp(-x²/2σ²)', () => {
    const k = gaussianKernel1d({ kernelSize: 9, sigma: 1.5 });
    expect(k.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    for (let i = 0; i < 9; i++) expect(k[i]).toBeCloseTo(k[8 - i]!, 15);
    expect(Math.max(...k)).toBe(k[4]);
    expect(k[5]! / k[4]!).toBeCloseTo(Math.exp(-1 / (2 * 1.5 * 1.5)), 12);
  });

  it('reflects without repeating the edge sample', () => {
    expect([-3, -2, -1, 0, 1, 5, 6, 7, 8].map((p) => reflectIndex(p, 6))).toEqual([3, 2, 1, 0, 1, 5, 4, 3, 2]);
    expect(reflectIndex(-2, 1)).toBe(0);
  });

  it('keeps a constant map constant, also with a kernel wider than the map', () => {
    for (const [h, w, kernel, sigma] of [[6, 6, 7, 1], [37, 37, 9, 1.5], [3, 5, 9, 1.5]] as const) {
      const out = gaussianBlur(new Float32Array(h * w).fill(2.5), h, w, { kernelSize: kernel, sigma });
      for (const v of out) expect(v).toBeCloseTo(2.5, 5);
    }
  });

  it('matches a direct 2-D convolution over a reflect-padded map', () => {
    const [h, w, kernel, sigma] = [6, 8, 7, 1];
    const src = seeded(h * w, 3);
    const taps = gaussianKernel1d({ kernelSize: kernel, sigma });
    const half = (kernel - 1) / 2;
    const out = gaussianBlur(src, h, w, { kernelSize: kernel, sigma });
    // Reflect padding written out by hand: index -i → i, n-1+i → n-1-i.
    const mirror = (p: number, n: number) => (p < 0 ? -p : p >= n ? 2 * (n - 1) - p : p);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let acc = 0;
        for (let dy = -half; dy <= half; dy++) {
          for (let dx = -half; dx <= half; dx++) {
            acc += taps[dy + half]! * taps[dx + half]! * src[mirror(y + dy, h) * w + mirror(x + dx, w)]!;
          }
        }
        expect(out[y * w + x]).toBeCloseTo(acc, 6);
      }
    }
  });

  it('border behaviour is reflect: the edge sample is not repeated, the one next to it is mirrored', () => {
    const k = gaussianKernel1d({ kernelSize: 7, sigma: 1 });
    // Impulse in the corner: no padded cell mirrors it (replicate padding would add k[0..2] to the corner).
    const corner = new Float32Array(36);
    corner[0] = 1;
    const a = gaussianBlur(corner, 6, 6, { kernelSize: 7, sigma: 1 });
    expect(a[0]).toBeCloseTo(k[3]! * k[3]!, 7);
    expect(a[1]).toBeCloseTo(k[3]! * k[4]!, 7);
    // Impulse at (1, 1): its mirror image at (-1, -1) reaches the corner too (zero padding would not).
    const inner = new Float32Array(36);
    inner[7] = 1;
    const b = gaussianBlur(inner, 6, 6, { kernelSize: 7, sigma: 1 });
    expect(b[0]).toBeCloseTo((k[2]! + k[4]!) ** 2, 7);
    // Per axis the mass becomes 1 + k[2] (the mirrored copy), so it exceeds 1 overall.
    let total = 0;
    for (const v of b) total += v;
    expect(total).toBeCloseTo((1 + k[2]!) ** 2, 6);
  });

  it('rejects even kernels, non-positive sigma and aliasing buffers', () => {
    expect(() => gaussianKernel1d({ kernelSize: 6, sigma: 1 })).toThrow(AaclipError);
    expect(() => gaussianKernel1d({ kernelSize: 7, sigma: 0 })).toThrow(/blur sigma/);
    const m = new Float32Array(4);
    expect(() => gaussianBlur(m, 2, 2, { kernelSize: 3, sigma: 1 }, m)).toThrow(/distinct/);
  });
});

describe('upsampleBilinear (align_corners=True)', () => {
  it('maps corners onto corners and interpolates linearly in between', () => {
    const src = Float32Array.from([0, 1, 2, 3]); // [[0,1],[2,3]]
    const out = upsampleBilinear(src, 2, 2, 5, 5);
    expect(out[0]).toBe(0);
    expect(out[4]).toBe(1);
    expect(out[20]).toBe(2);
    expect(out[24]).toBe(3);
    // value = x/4 + 2·y/4 on the 5×5 grid: a plane is reproduced exactly.
    for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) expect(out[y * 5 + x]).toBeCloseTo(x / 4 + (2 * y) / 4, 6);
  });

  it('is the identity at equal sizes and keeps constants', () => {
    const src = seeded(36, 9);
    expect(Array.from(upsampleBilinear(src, 6, 6, 6, 6))).toEqual(Array.from(src));
    for (const v of upsampleBilinear(new Float32Array(36).fill(-4), 6, 6, 48, 48)) expect(v).toBeCloseTo(-4, 6);
  });
});

describe('levelAnomalyMap, fuseMaps, imageScore', () => {
  it('level map is (100·s_anom + 1 − 100·s_norm)/2 per token, row-major on the grid', () => {
    const embed = 3;
    const grid = 2;
    const tokens = seeded(grid * grid * embed, 5);
    const anchors = seeded(embed * 2, 6);
    const map = levelAnomalyMap(tokens, anchors, grid, embed);
    for (let l = 0; l < 4; l++) {
      let n = 0;
      let a = 0;
      for (let e = 0; e < embed; e++) {
        n += tokens[l * embed + e]! * anchors[e * 2]!;
        a += tokens[l * embed + e]! * anchors[e * 2 + 1]!;
      }
      expect(map[l]).toBeCloseTo((100 * a + 1 - 100 * n) / 2, 4);
    }
    // Equal similarity to both anchors scores exactly 1/2.
    const same = Float32Array.from([0.5, 0.5, 0.25, 0.25, 1, 1]);
    for (const v of levelAnomalyMap(tokens, same, grid, embed)) expect(v).toBeCloseTo(0.5, 5);
    expect(() => levelAnomalyMap(tokens, anchors, 3, embed)).toThrow(/patch tokens/);
  });

  it('fuses by summing, and scores the image by the anomalous column without ×100', () => {
    const fused = fuseMaps([Float32Array.from([1, 2]), Float32Array.from([10, 20]), Float32Array.from([0.5, 0.5])]);
    expect(Array.from(fused)).toEqual([11.5, 22.5]);
    expect(() => fuseMaps([])).toThrow(/level maps/);
    expect(() => fuseMaps([new Float32Array(2), new Float32Array(3)])).toThrow(/map 1 has 3/);
    const anchors = Float32Array.from([0.9, 0.1, 0.2, 0.8]);
    expect(imageScore(Float32Array.from([0.5, 0.25]), anchors, 2)).toBeCloseTo((0.5 * 0.1 + 0.25 * 0.8 + 1) / 2, 7);
    expect(() => imageScore(new Float32Array(3), anchors, 2)).toThrow(/detection token/);
  });
});
