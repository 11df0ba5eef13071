import { resizeBicubicPil, toRgb8 } from '@aaclip/core';
import type { RawImage } from '@aaclip/core';
import { renderHeatmapOverlay } from '../report/heatmapOverlay.js';
import { encodeRgbPng } from '../report/pngEncoding.js';

export interface GalleryImageOptions {
  /** Longest side of the PNG (default 256). */
  readonly maxSide?: number;
}

/**
 * A gallery picture: the image resized to the map's size (as the model saw it), the normalised map
 * (values 0–1) blended over it in jet colours, the ground-truth outline in white; as a PNG.
 */
export async function renderGalleryImage(
  image: RawImage,
  normalisedMap: Float32Array,
  mask: Uint8Array | null,
  size: number,
  source: string,
  options: GalleryImageOptions = {},
): Promise<Uint8Array> {
  const rgb = resizeBicubicPil(toRgb8(image, source), size, size, source);
  const overlay = renderHeatmapOverlay(rgb.data, size, size, normalisedMap, {
    min: 0,
    max: 1,
    ...(mask && mask.some((v) => v !== 0) ? { contour: mask } : {}),
  });
  return encodeRgbPng(overlay, size, size, { maxSide: options.maxSide ?? 256 });
}
