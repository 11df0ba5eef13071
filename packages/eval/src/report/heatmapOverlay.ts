import { AaclipError } from '@aaclip/core';

/** Colour maps for anomaly heatmaps (low → high). */
export type ColormapName = 'jet';

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/** 256 RGB entries of the classic "jet" map: blue → cyan → yellow → red, each channel a clipped tent. */
function jetTable(): Uint8Array {
  const table = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const v = i / 255;
    table[i * 3] = Math.round(255 * clamp01(1.5 - Math.abs(4 * v - 3)));
    table[i * 3 + 1] = Math.round(255 * clamp01(1.5 - Math.abs(4 * v - 2)));
    table[i * 3 + 2] = Math.round(255 * clamp01(1.5 - Math.abs(4 * v - 1)));
  }
  return table;
}

const TABLES: Record<ColormapName, Uint8Array> = { jet: jetTable() };

/** The RGB colour (0–255) of a value in [0, 1] (clamped) under a colour map. */
export function colormapColor(value: number, colormap: ColormapName = 'jet'): [number, number, number] {
  const t = TABLES[colormap];
  const i = Math.round(clamp01(value) * 255) * 3;
  return [t[i]!, t[i + 1]!, t[i + 2]!];
}

/** Options of renderHeatmapRgba. */
export interface HeatmapColourOptions {
  /** Map values shown as the colour map's ends; default: the map's own minimum and maximum. */
  readonly min?: number;
  readonly max?: number;
  readonly colormap?: ColormapName;
}

/** The value range a map is coloured over: the given ends, else the map's own minimum and maximum. */
function valueRange(map: Float32Array, min: number | undefined, max: number | undefined): { lo: number; scale: number } {
  let lo = min;
  let hi = max;
  if (lo === undefined || hi === undefined) {
    let mn = Infinity;
    let mx = -Infinity;
    for (const v of map) {
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    lo ??= mn;
    hi ??= mx;
  }
  return { lo, scale: hi > lo ? 1 / (hi - lo) : 0 };
}

/**
 * An anomaly map alone, coloured with a colour map, as opaque RGBA bytes in the map's own layout
 * (row-major, 4 bytes a value): what a canvas's ImageData takes. A flat map is all the low colour.
 */
export function renderHeatmapRgba(map: Float32Array, options: HeatmapColourOptions = {}): Uint8ClampedArray {
  const { lo, scale } = valueRange(map, options.min, options.max);
  const table = TABLES[options.colormap ?? 'jet'];
  const out = new Uint8ClampedArray(map.length * 4);
  for (let i = 0; i < map.length; i++) {
    const c = Math.round(clamp01((map[i]! - lo) * scale) * 255) * 3;
    out[i * 4] = table[c]!;
    out[i * 4 + 1] = table[c + 1]!;
    out[i * 4 + 2] = table[c + 2]!;
    out[i * 4 + 3] = 255;
  }
  return out;
}

export interface HeatmapOverlayOptions {
  /** Size of `map` when it differs from the image (it is then resampled bilinearly, pixel centres aligned). */
  readonly mapWidth?: number;
  readonly mapHeight?: number;
  /** Map values shown as the colour map's ends; default: the map's own minimum and maximum. */
  readonly min?: number;
  readonly max?: number;
  /** Weight of the image in the blend, 0–1 (default 0.5: half image, half heatmap, as the reference draws them). */
  readonly imageWeight?: number;
  readonly colormap?: ColormapName;
  /** A binary mask at image size whose boundary is drawn in white (e.g. the ground truth). */
  readonly contour?: Uint8Array;
}

/**
 * Blends an anomaly map, coloured with a colour map, over an RGB image: returns new width×height
 * RGB bytes (interleaved, row-major), each pixel imageWeight·image + (1 − imageWeight)·colour.
 */
export function renderHeatmapOverlay(
  rgb: Uint8Array,
  width: number,
  height: number,
  map: Float32Array,
  options: HeatmapOverlayOptions = {},
): Uint8Array {
  const mapWidth = options.mapWidth ?? width;
  const mapHeight = options.mapHeight ?? height;
  if (rgb.length !== width * height * 3) {
    throw new AaclipError(`has ${rgb.length} bytes, a ${width}×${height} RGB image needs ${width * height * 3}`, 'heatmap image');
  }
  if (map.length !== mapWidth * mapHeight) {
    throw new AaclipError(`has ${map.length} values, expected ${mapWidth}×${mapHeight}`, 'heatmap map');
  }
  if (options.contour && options.contour.length !== width * height) {
    throw new AaclipError(`has ${options.contour.length} values, expected ${width}×${height}`, 'heatmap contour');
  }
  const { lo, scale } = valueRange(map, options.min, options.max);
  const table = TABLES[options.colormap ?? 'jet'];
  const imageWeight = clamp01(options.imageWeight ?? 0.5);
  const sample = samplerFor(map, mapWidth, mapHeight, width, height);
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const v = (sample(x, y) - lo) * scale;
      const c = Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * 255) * 3;
      for (let k = 0; k < 3; k++) {
        out[p * 3 + k] = Math.round(imageWeight * rgb[p * 3 + k]! + (1 - imageWeight) * table[c + k]!);
      }
    }
  }
  if (options.contour) drawContour(out, options.contour, width, height);
  return out;
}

/** Map value at an image pixel: direct when sizes agree, else bilinear with pixel centres aligned. */
function samplerFor(map: Float32Array, mw: number, mh: number, w: number, h: number): (x: number, y: number) => number {
  if (mw === w && mh === h) return (x, y) => map[y * w + x]!;
  return (x, y) => {
    const fx = Math.min(Math.max(((x + 0.5) * mw) / w - 0.5, 0), mw - 1);
    const fy = Math.min(Math.max(((y + 0.5) * mh) / h - 0.5, 0), mh - 1);
    const x0 = Math.floor(fx);
    const y0 = Math.floor(fy);
    const x1 = Math.min(x0 + 1, mw - 1);
    const y1 = Math.min(y0 + 1, mh - 1);
    const ax = fx - x0;
    const ay = fy - y0;
    const top = map[y0 * mw + x0]! * (1 - ax) + map[y0 * mw + x1]! * ax;
    const bottom = map[y1 * mw + x0]! * (1 - ax) + map[y1 * mw + x1]! * ax;
    return top * (1 - ay) + bottom * ay;
  };
}

/** Whitens mask pixels that touch a non-mask pixel (or the border). */
function drawContour(out: Uint8Array, mask: Uint8Array, width: number, height: number): void {
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (mask[p] === 0) continue;
      const edge =
        x === 0 || y === 0 || x === width - 1 || y === height - 1 ||
        mask[p - 1] === 0 || mask[p + 1] === 0 || mask[p - width] === 0 || mask[p + width] === 0;
      if (edge) out.fill(255, p * 3, p * 3 + 3);
    }
  }
}
