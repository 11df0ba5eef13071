import { AaclipError } from '../errors/aaclipError.js';

/**
 * Antialiased bicubic resampling, the algorithm shared by Pillow's `Image.resize(…, BICUBIC)` and
 * PyTorch's `F.interpolate(mode='bicubic', antialias=True, align_corners=False)`:
 *   scale = in / out, filterScale = max(scale, 1), support = 2 · filterScale,
 *   output sample i is centred at scale · (i + 0.5) in input coordinates,
 *   input sample j gets weight cubic((j − center + 0.5) / filterScale) with a = −0.5,
 *   taps outside the image are dropped and the remaining weights normalised by their sum.
 * Note: both references use a = −0.5 here (not −0.75 as in PyTorch's non-antialiased bicubic),
 * also when upsampling.
 */

/** Bicubic convolution kernel (Keys) with a = −0.5, support 2. */
export function bicubicKernel(x: number): number {
  const a = -0.5;
  const t = x < 0 ? -x : x;
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/**
 * Per-output-sample filter taps for one axis. Output sample i reads input samples
 * `starts[i] … starts[i] + sizes[i] − 1` with weights `weights[i·taps … i·taps + sizes[i] − 1]`
 * (the rest of each row of `weights` is zero). Weights of a row sum to 1.
 */
export interface ResampleWeights {
  readonly inSize: number;
  readonly outSize: number;
  /** Row stride of `weights`: the most taps any output sample can have. */
  readonly taps: number;
  readonly starts: Int32Array;
  readonly sizes: Int32Array;
  readonly weights: Float64Array;
}

function checkSize(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new AaclipError(`must be a positive integer, got ${value}`, field);
  }
}

/** Triangle (tent) kernel, support 1: Pillow's BILINEAR filter. */
export function bilinearKernel(x: number): number {
  const t = x < 0 ? -x : x;
  return t < 1 ? 1 - t : 0;
}

/** The antialiasing filters Pillow's resampler (and PyTorch's antialiased interpolate) offer. */
export type ResampleFilter = 'bicubic' | 'bilinear';

const FILTERS: Readonly<Record<ResampleFilter, { readonly kernel: (x: number) => number; readonly support: number }>> = {
  bicubic: { kernel: bicubicKernel, support: 2 },
  bilinear: { kernel: bilinearKernel, support: 1 },
};

/** Weight table for resampling one axis from `inSize` to `outSize` samples (computed in float64, as Pillow). */
export function antialiasedBicubicWeights(inSize: number, outSize: number): ResampleWeights {
  return antialiasedWeights(inSize, outSize, 'bicubic');
}

/**
 * Weight table for one axis with `filter` (Pillow's precompute_coeffs): the filter is stretched by
 * max(in / out, 1) when downsampling, so every input sample contributes (antialiasing).
 */
export function antialiasedWeights(inSize: number, outSize: number, filter: ResampleFilter): ResampleWeights {
  checkSize(inSize, 'resample input size');
  checkSize(outSize, 'resample output size');
  const { kernel, support: filterSupport } = FILTERS[filter];
  const scale = inSize / outSize;
  const filterScale = scale < 1 ? 1 : scale;
  const support = filterSupport * filterScale;
  const invFilterScale = 1 / filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const starts = new Int32Array(outSize);
  const sizes = new Int32Array(outSize);
  const weights = new Float64Array(outSize * taps);
  for (let i = 0; i < outSize; i++) {
    const center = scale * (i + 0.5);
    // Truncation toward zero then clamping, as both references do.
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    const count = Math.min(hi - lo, taps);
    const row = i * taps;
    let total = 0;
    for (let k = 0; k < count; k++) {
      const w = kernel((lo + k - center + 0.5) * invFilterScale);
      weights[row + k] = w;
      total += w;
    }
    if (total !== 0) {
      for (let k = 0; k < count; k++) weights[row + k]! /= total;
    }
    starts[i] = lo;
    sizes[i] = count;
  }
  return { inSize, outSize, taps, starts, sizes, weights };
}

/** Resamples rows (the contiguous axis) of a [planes, height, inW] float buffer to [planes, height, outW]. */
function resampleRows(src: Float32Array, planesTimesHeight: number, inW: number, table: ResampleWeights): Float32Array {
  const outW = table.outSize;
  const { starts, sizes, weights, taps } = table;
  const dst = new Float32Array(planesTimesHeight * outW);
  for (let r = 0; r < planesTimesHeight; r++) {
    const srcRow = r * inW;
    const dstRow = r * outW;
    for (let x = 0; x < outW; x++) {
      const s = srcRow + starts[x]!;
      const n = sizes[x]!;
      const w = x * taps;
      let acc = 0;
      for (let k = 0; k < n; k++) acc += src[s + k]! * weights[w + k]!;
      dst[dstRow + x] = acc;
    }
  }
  return dst;
}

/** Resamples columns of a [planes, inH, width] float buffer to [planes, outH, width]. */
function resampleColumns(src: Float32Array, planes: number, inH: number, width: number, table: ResampleWeights): Float32Array {
  const outH = table.outSize;
  const { starts, sizes, weights, taps } = table;
  const dst = new Float32Array(planes * outH * width);
  for (let p = 0; p < planes; p++) {
    const srcPlane = p * inH * width;
    const dstPlane = p * outH * width;
    for (let y = 0; y < outH; y++) {
      const s0 = srcPlane + starts[y]! * width;
      const n = sizes[y]!;
      const w = y * taps;
      const dstRow = dstPlane + y * width;
      for (let x = 0; x < width; x++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += src[s0 + k * width + x]! * weights[w + k]!;
        dst[dstRow + x] = acc;
      }
    }
  }
  return dst;
}

/**
 * Antialiased bicubic resize of planar (CHW) float data, as PyTorch's
 * `F.interpolate(x[None], (outH, outW), mode='bicubic', antialias=True, align_corners=False)`:
 * horizontal pass first, then vertical; an axis whose size is unchanged is not resampled.
 * Always returns a new array.
 */
export function resizeAntialiasedBicubicPlanar(
  src: Float32Array,
  channels: number,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
): Float32Array {
  checkSize(channels, 'resample channels');
  checkSize(inH, 'resample input height');
  checkSize(inW, 'resample input width');
  checkSize(outH, 'resample output height');
  checkSize(outW, 'resample output width');
  if (src.length !== channels * inH * inW) {
    throw new AaclipError(
      `has ${src.length} values, expected ${channels}×${inH}×${inW} = ${channels * inH * inW}`,
      'resample input',
    );
  }
  let data = src;
  if (inW !== outW) data = resampleRows(data, channels * inH, inW, antialiasedBicubicWeights(inW, outW));
  if (inH !== outH) data = resampleColumns(data, channels, inH, outW, antialiasedBicubicWeights(inH, outH));
  return data === src ? src.slice() : data;
}
