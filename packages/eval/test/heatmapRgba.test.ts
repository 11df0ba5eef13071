import { describe, expect, it } from 'vitest';
import { colormapColor, renderHeatmapOverlay, renderHeatmapRgba } from '@aaclip/eval/browser';

describe('renderHeatmapRgba', () => {
  const map = Float32Array.from([0.2, 0.7, 1.2, 0.45, 0.95, 0.2]);

  it('colours each value with the colour map over the map\'s own range, opaque', () => {
    const rgba = renderHeatmapRgba(map);
    expect(rgba.length).toBe(map.length * 4);
    for (let i = 0; i < map.length; i++) {
      const [r, g, b] = colormapColor((map[i]! - 0.2) / (1.2 - 0.2));
      expect([...rgba.subarray(i * 4, i * 4 + 4)]).toEqual([r, g, b, 255]);
    }
  });

  it('clamps to the given ends and shows a flat map as the low colour', () => {
    const clamped = renderHeatmapRgba(map, { min: 0.45, max: 0.95 });
    expect([...clamped.subarray(0, 3)]).toEqual(colormapColor(0));
    expect([...clamped.subarray(8, 11)]).toEqual(colormapColor(1));
    const flat = renderHeatmapRgba(new Float32Array(4).fill(3));
    for (let i = 0; i < 4; i++) expect([...flat.subarray(i * 4, i * 4 + 3)]).toEqual(colormapColor(0));
  });

  it('gives the colours the overlay blends: with image weight 0 the overlay is the heatmap', () => {
    const image = new Uint8Array(3 * 2 * 3).fill(77);
    const overlay = renderHeatmapOverlay(image, 3, 2, map, { imageWeight: 0 });
    const rgba = renderHeatmapRgba(map);
    const rgb = [...rgba].filter((_, i) => i % 4 !== 3);
    expect([...overlay]).toEqual(rgb);
  });
});
