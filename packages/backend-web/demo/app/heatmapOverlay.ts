import type { Detection } from '@aaclip/core';

/** The "jet" colour ramp (blue → cyan → yellow → red) at t ∈ [0, 1], as 0–255 RGB. */
export function jetColour(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t));
  const channel = (centre: number): number => Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * x - centre))));
  return [channel(3), channel(2), channel(1)];
}

/** The anomaly map as an RGBA picture at map resolution, min–max scaled over this map. */
export function heatmapCanvas(detection: Detection): OffscreenCanvas {
  const { imageSize, anomalyMap } = detection;
  let min = Infinity;
  let max = -Infinity;
  for (const v of anomalyMap) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = max > min ? max - min : 1;
  const canvas = new OffscreenCanvas(imageSize, imageSize);
  const context = canvas.getContext('2d')!;
  const pixels = context.createImageData(imageSize, imageSize);
  for (let i = 0; i < anomalyMap.length; i++) {
    const [r, g, b] = jetColour((anomalyMap[i]! - min) / range);
    pixels.data.set([r, g, b, 255], i * 4);
  }
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
