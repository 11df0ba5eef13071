import { toRgb8, type Detection, type RawImage } from '@aaclip/core';
import { encodeRgbPng, renderHeatmapOverlay } from '@aaclip/eval';

/** The anomaly map drawn over the image at the image's own size, as PNG bytes. */
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
