import { describe, expect, it } from 'vitest';
import { GraphBuilder, alignCornersInterpolationMatrix, upsampleBilinearAlignCorners } from '@aaclip/core';
import { floatTensor } from '../graph/runOnnx.js';
import { runGraph } from './stagesFixture.js';
import { maxAbsError } from '@aaclip/core/testing';

/**
 * Bilinear with align_corners=True written per output pixel, as PyTorch's CPU kernel computes it:
 * the source position i·(from − 1)/(to − 1) in float32 (scale rounded first), the blend in float64.
 */
function bilinearAlignCorners(map: Float32Array, from: number, to: number): Float64Array {
  const out = new Float64Array(to * to);
  const position = (i: number): [number, number, number] => {
    const source = to > 1 ? Math.fround(Math.fround((from - 1) / (to - 1)) * i) : 0;
    const low = Math.min(Math.floor(source), from - 1);
    return [low, Math.min(low + 1, from - 1), source - low];
  };
  for (let y = 0; y < to; y++) {
    const [y0, y1, wy] = position(y);
    for (let x = 0; x < to; x++) {
      const [x0, x1, wx] = position(x);
      const at = (r: number, c: number): number => map[r * from + c]!;
      const top = at(y0, x0) * (1 - wx) + at(y0, x1) * wx;
      const bottom = at(y1, x0) * (1 - wx) + at(y1, x1) * wx;
      out[y * to + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

// Values up to 100 in float32 (ulp 7.6e-6), summed over four taps by the two MatMuls.
const TOLERANCE = 4e-5;

function seededMaps(count: number, seed: number): Float32Array {
  const data = new Float32Array(count);
  let s = seed;
  for (let i = 0; i < count; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    data[i] = (s / 2 ** 32) * 200 - 100; // ±100, the range of the 100× similarity maps
  }
  return data;
}

describe('bilinear upsampling with align_corners=True (losses)', () => {
  it('interpolation matrix rows sum to 1 and hit the corners exactly', () => {
    for (const [from, to] of [[6, 48], [37, 518], [4, 4], [1, 5], [5, 1]] as const) {
      const u = alignCornersInterpolationMatrix(from, to);
      for (let i = 0; i < to; i++) {
        const row = u.subarray(i * from, (i + 1) * from);
        expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-6);
      }
      expect(u[0]).toBe(1);
      if (to > 1) expect(u[to * from - 1]).toBe(1);
    }
  });

  it('U·M·Uᵀ in a graph equals the per-pixel bilinear computation', async () => {
    for (const [from, to] of [[6, 48], [37, 518], [3, 7]] as const) {
      const batch = 2;
      const maps = seededMaps(batch * 2 * from * from, from * 31 + to);
      const g = new GraphBuilder('upsample_test');
      const x = g.input('maps', 'F32', [batch, 2, from, from]);
      g.output(upsampleBilinearAlignCorners(g, x, from, to), 'up', 'F32', [batch, 2, to, to]);
      const out = await runGraph(g.build(), { maps: floatTensor(maps, [batch, 2, from, from]) });
      const up = out.up!.data as Float32Array;
      let error = 0;
      for (let m = 0; m < batch * 2; m++) {
        const expected = bilinearAlignCorners(maps.subarray(m * from * from, (m + 1) * from * from), from, to);
        error = Math.max(error, maxAbsError(up.subarray(m * to * to, (m + 1) * to * to), expected));
      }
      console.log(`upsample ${from}→${to}: max abs error ${error.toExponential(2)} (values ±100)`);
      expect(error).toBeLessThan(TOLERANCE);
    }
  });
});
