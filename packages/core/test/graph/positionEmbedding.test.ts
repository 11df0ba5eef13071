import { describe, expect, it } from 'vitest';
import { AaclipError, resizeAntialiasedBicubicPlanar } from '@aaclip/core';
import { interpolatePositionEmbedding } from '../../src/graph/towers/positionEmbedding.js';

describe('position-embedding interpolation', () => {
  // [CLS; 2×2 grid] with 3 channels; token t, channel c holds 10·t + c.
  const channels = 3;
  const pos = { dtype: 'F32' as const, shape: [5, channels], data: Float32Array.from({ length: 15 }, (_, i) => 10 * Math.floor(i / 3) + (i % 3)) };

  it('keeps the class row and resizes each channel of the grid as a planar image', () => {
    const out = interpolatePositionEmbedding(pos, 3);
    expect(out.shape).toEqual([10, channels]);
    expect(Array.from(out.data as Float32Array).slice(0, 3)).toEqual([0, 1, 2]);
    for (let c = 0; c < channels; c++) {
      const plane = Float32Array.from({ length: 4 }, (_, t) => 10 * (t + 1) + c);
      const resized = resizeAntialiasedBicubicPlanar(plane, 1, 2, 2, 3, 3);
      for (let t = 0; t < 9; t++) expect((out.data as Float32Array)[(t + 1) * channels + c]).toBe(resized[t]);
    }
  });

  it('returns the embedding unchanged at its own grid size', () => {
    expect(interpolatePositionEmbedding(pos, 2)).toBe(pos);
  });

  it('refuses an embedding whose rows are not a square grid plus one', () => {
    const bad = { dtype: 'F32' as const, shape: [6, 3], data: new Float32Array(18) };
    expect(() => interpolatePositionEmbedding(bad, 3, 'clip.safetensors: visual.positional_embedding')).toThrow(AaclipError);
    expect(() => interpolatePositionEmbedding(bad, 3, 'clip.safetensors: visual.positional_embedding')).toThrow(/square grid/);
  });
});
