import { AaclipError } from '../errors/aaclipError.js';
import { antialiasedWeights, type ResampleFilter, type ResampleWeights } from '../resample/antialiasedResize.js';
import { pillowNearestIndices } from './resizeNearestPil.js';
import { checkRgb8Image, type Rgb8Image } from './rgb8Image.js';

/**
 * Pillow's `Image.resize((outW, outH), filter)` on an 8-bit RGB image, bit for bit. BICUBIC and
 * BILINEAR: Pillow's 8-bit path runs the antialiased filter (bicubic a = −0.5, or the triangle) in
 * fixed point, rounds to 0..255 after each of its two passes, does the horizontal pass first (only
 * over the source rows the vertical pass reads) and skips a pass whose axis keeps its size.
 * NEAREST picks one source pixel per output pixel as Pillow's affine scaler does. Same size → an
 * exact copy.
 */

/** Fixed-point fraction bits of Pillow's 8-bit resampler: 32 − 8 − 2. */
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

/** Pillow's coefficient rounding: half away from zero, then truncation to int32. */
function fixedPointWeights(table: ResampleWeights): Int32Array {
  const out = new Int32Array(table.weights.length);
  for (let i = 0; i < out.length; i++) {
    const w = table.weights[i]!;
    out[i] = Math.trunc(w * ONE + (w < 0 ? -0.5 : 0.5));
  }
  return out;
}

/** Shift out the fraction and clip to a byte (accumulators fit in int32, so `>>` is an exact floor). */
function clip8(acc: number): number {
  const v = acc >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function resizeHorizontal(
  src: Uint8Array,
  inW: number,
  firstRow: number,
  rows: number,
  table: ResampleWeights,
): Uint8Array {
  const outW = table.outSize;
  const { starts, sizes, taps } = table;
  const k = fixedPointWeights(table);
  const dst = new Uint8Array(rows * outW * 3);
  for (let y = 0; y < rows; y++) {
    const srcRow = (firstRow + y) * inW * 3;
    let d = y * outW * 3;
    for (let x = 0; x < outW; x++, d += 3) {
      const n = sizes[x]!;
      const kw = x * taps;
      let s = srcRow + starts[x]! * 3;
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let t = 0; t < n; t++, s += 3) {
        const w = k[kw + t]!;
        r += src[s]! * w;
        g += src[s + 1]! * w;
        b += src[s + 2]! * w;
      }
      dst[d] = clip8(r);
      dst[d + 1] = clip8(g);
      dst[d + 2] = clip8(b);
    }
  }
  return dst;
}

/** Vertical pass; `rowOffset` is the source row that `src`'s first row corresponds to. */
function resizeVertical(src: Uint8Array, width: number, rowOffset: number, table: ResampleWeights): Uint8Array {
  const outH = table.outSize;
  const { starts, sizes, taps } = table;
  const k = fixedPointWeights(table);
  const rowBytes = width * 3;
  const dst = new Uint8Array(outH * rowBytes);
  for (let y = 0; y < outH; y++) {
    const n = sizes[y]!;
    const kw = y * taps;
    const first = (starts[y]! - rowOffset) * rowBytes;
    const dstRow = y * rowBytes;
    for (let c = 0; c < rowBytes; c++) {
      let acc = HALF;
      for (let t = 0, s = first + c; t < n; t++, s += rowBytes) acc += src[s]! * k[kw + t]!;
      dst[dstRow + c] = clip8(acc);
    }
  }
  return dst;
}

/** Pillow's resampling filters on 8-bit RGB: the antialiased ones, and NEAREST. */
export type PilResizeFilter = ResampleFilter | 'nearest';

/** `Image.resize((outW, outH), Image.BICUBIC)`: what the reference does to every input image. */
export function resizeBicubicPil(rgb: Rgb8Image, outW: number, outH: number, source = 'image'): Rgb8Image {
  return resizeRgb8Pil(rgb, outW, outH, 'bicubic', source);
}

/** NEAREST: each output pixel copies the source pixel at Pillow's sampling position (see pillowNearestIndices). */
function resizeNearest(rgb: Rgb8Image, outW: number, outH: number): Rgb8Image {
  const columns = pillowNearestIndices(rgb.width, outW);
  const rows = pillowNearestIndices(rgb.height, outH);
  const data = new Uint8Array(outW * outH * 3);
  for (let y = 0, d = 0; y < outH; y++) {
    const row = rows[y]! * rgb.width;
    for (let x = 0; x < outW; x++, d += 3) {
      const s = (row + columns[x]!) * 3;
      data[d] = rgb.data[s]!;
      data[d + 1] = rgb.data[s + 1]!;
      data[d + 2] = rgb.data[s + 2]!;
    }
  }
  return { width: outW, height: outH, data };
}

export function resizeRgb8Pil(rgb: Rgb8Image, outW: number, outH: number, filter: PilResizeFilter, source = 'image'): Rgb8Image {
  checkRgb8Image(rgb, source);
  if (!Number.isInteger(outW) || outW < 1 || !Number.isInteger(outH) || outH < 1) {
    throw new AaclipError(`resize target ${outW}×${outH} is not a positive integer size`, source);
  }
  const { width: inW, height: inH } = rgb;
  const needH = outW !== inW;
  const needV = outH !== inH;
  if (!needH && !needV) return { width: inW, height: inH, data: rgb.data.slice() };
  if (filter === 'nearest') return resizeNearest(rgb, outW, outH);

  const vTable = needV ? antialiasedWeights(inH, outH, filter) : undefined;
  let data = rgb.data;
  let rowOffset = 0;
  if (needH) {
    let firstRow = 0;
    let rows = inH;
    if (vTable) {
      // Only the source rows some output row reads.
      firstRow = vTable.starts[0]!;
      rows = vTable.starts[outH - 1]! + vTable.sizes[outH - 1]! - firstRow;
    }
    data = resizeHorizontal(data, inW, firstRow, rows, antialiasedWeights(inW, outW, filter));
    rowOffset = firstRow;
  }
  if (vTable) data = resizeVertical(data, outW, rowOffset, vTable);
  return { width: outW, height: outH, data };
}
