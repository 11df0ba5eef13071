// Position embeddings at another input size: the reference resizes the grid part with PyTorch's
// F.interpolate(mode='bicubic', antialias=True, align_corners=False) and keeps the class-token row.
// Done once at build time; the result becomes an initializer.
import { AaclipError } from '../../errors/aaclipError.js';
import { resizeAntialiasedBicubicPlanar } from '../../resample/antialiasedResize.js';
import type { Tensor } from '../../tensor/tensor.js';
import { shapeToString } from '../../tensor/tensor.js';

/** Side of the square grid a [g² + 1, C] position embedding was trained for. */
export function positionEmbeddingGrid(pos: Tensor, source: string): number {
  const [rows, channels] = pos.shape;
  const grid = rows === undefined ? NaN : Math.round(Math.sqrt(rows - 1));
  if (pos.shape.length !== 2 || channels === undefined || rows === undefined || grid < 1 || grid * grid + 1 !== rows) {
    throw new AaclipError(`expected shape [g² + 1, width] (a square grid plus the class token), got ${shapeToString(pos.shape)}`, source);
  }
  return grid;
}

/** Resizes a [g0² + 1, C] position embedding to [grid² + 1, C] (row 0, the class token, is kept). */
export function interpolatePositionEmbedding(pos: Tensor, grid: number, source = 'visual.positional_embedding'): Tensor {
  const g0 = positionEmbeddingGrid(pos, source);
  if (!(pos.data instanceof Float32Array)) throw new AaclipError(`expected F32 data, got ${pos.dtype}`, source);
  if (g0 === grid) return pos;
  const channels = pos.shape[1]!;
  const src = pos.data;
  // [g0², C] token-major → planar [C, g0, g0].
  const planar = new Float32Array(channels * g0 * g0);
  for (let t = 0; t < g0 * g0; t++) {
    for (let c = 0; c < channels; c++) planar[c * g0 * g0 + t] = src[(t + 1) * channels + c]!;
  }
  const resized = resizeAntialiasedBicubicPlanar(planar, channels, g0, g0, grid, grid);
  const out = new Float32Array((grid * grid + 1) * channels);
  out.set(src.subarray(0, channels));
  for (let t = 0; t < grid * grid; t++) {
    for (let c = 0; c < channels; c++) out[(t + 1) * channels + c] = resized[c * grid * grid + t]!;
  }
  return { dtype: 'F32', shape: [grid * grid + 1, channels], data: out };
}
