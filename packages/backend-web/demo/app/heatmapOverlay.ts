import type { Detection } from '@aaclip/core';
import { renderHeatmapRgba } from '@aaclip/eval/browser';

/** The anomaly map as an RGBA picture at map resolution, coloured as eval's reports colour it (min–max over this map). */
export function heatmapCanvas(detection: Detection): OffscreenCanvas {
  const { imageSize, anomalyMap } = detection;
  const canvas = new OffscreenCanvas(imageSize, imageSize);
  const context = canvas.getContext('2d')!;
  const pixels = context.createImageData(imageSize, imageSize);
  pixels.data.set(renderHeatmapRgba(anomalyMap));
  context.putImageData(pixels, 0, 0);
  return canvas;
}

/**
 * Draws the image scaled (up or down) so that its longer side is `side` pixels and, when given,
 * the heatmap stretched over it. The map covers the whole image: the model input is the image
 * resized to a square without keeping its aspect ratio (the reference's preprocessing), so
 * stretching the map back lines them up.
 */
export function drawView(view: HTMLCanvasElement, image: ImageBitmap, heatmap: OffscreenCanvas | null, opacity: number, side = 480): void {
  const scale = side / Math.max(image.width, image.height);
  view.width = Math.max(1, Math.round(image.width * scale));
  view.height = Math.max(1, Math.round(image.height * scale));
  const context = view.getContext('2d')!;
  context.imageSmoothingEnabled = true;
  context.globalAlpha = 1;
  context.drawImage(image, 0, 0, view.width, view.height);
  if (heatmap) {
    context.globalAlpha = opacity;
    context.drawImage(heatmap, 0, 0, view.width, view.height);
    context.globalAlpha = 1;
  }
}
