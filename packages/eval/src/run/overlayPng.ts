import { toRgb8, type Detection, type RawImage } from '@aaclip/core';
import { encodeRgbPng } from '../report/pngEncoding.js';
import { renderHeatmapOverlay } from '../report/heatmapOverlay.js';

/** The lowest and highest value over some anomaly maps: the colour range of their heatmaps. */
export function mapValueRange(maps: Iterable<Float32Array>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const map of maps) {
    for (const v of map) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return { min, max };
}

/**
 * A detection's anomaly map drawn over its image at the image's own size, as PNG bytes (what
 * `aaclip detect` writes as `<name>.png` and the server returns as `map_png`): colours span `range`,
 * for a run the mapValueRange of all its maps.
 */
export async function renderOverlayPng(image: RawImage, detection: Detection, range: { min: number; max: number }): Promise<Uint8Array> {
  const rgb = toRgb8(image);
  const overlay = renderHeatmapOverlay(rgb.data, rgb.width, rgb.height, detection.anomalyMap, {
    mapWidth: detection.imageSize,
    mapHeight: detection.imageSize,
    min: range.min,
    max: range.max,
  });
  return encodeRgbPng(overlay, rgb.width, rgb.height);
}

/** Why a detection cannot be reported, or null: a NaN or infinite score would read as null in JSON. */
export function nonFiniteDetection(detection: Detection): string | null {
  const badMap = detection.anomalyMap.some((v) => !Number.isFinite(v));
  if (Number.isFinite(detection.imageScore) && Number.isFinite(detection.pixelMax) && !badMap) return null;
  return `the model gave a non-finite result (image_score=${detection.imageScore}, pixel_max=${detection.pixelMax}${badMap ? ', non-finite map values' : ''}); are the weights finite?`;
}
