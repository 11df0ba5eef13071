// Bilinear upsampling with align_corners=True (PyTorch F.interpolate(mode='bilinear',
// align_corners=True)) as two MatMuls with a constant interpolation matrix: for a [.., g, g] map M
// the result is U · M · Uᵀ, U [S, g]. Both interpolation axes use the same 1-D weights, so the 2-D
// interpolation factorises exactly. Training graphs use this instead of Resize (no gradient rule).
import { AaclipError } from '../../errors/aaclipError.js';
import type { GraphBuilder } from '../../graph/graphBuilder.js';

/**
 * The [to, from] matrix whose row i holds the weights of output position i over the input
 * positions, with align_corners=True: source = i·(from − 1)/(to − 1). The arithmetic follows
 * PyTorch's float32 CPU kernel (scale and source position rounded to float32).
 */
export function alignCornersInterpolationMatrix(from: number, to: number): Float32Array {
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to < 1) {
    throw new AaclipError(`sizes must be positive integers, got ${from} → ${to}`, 'bilinear upsampling');
  }
  const matrix = new Float32Array(to * from);
  const scale = to > 1 ? Math.fround((from - 1) / (to - 1)) : 0;
  for (let i = 0; i < to; i++) {
    const source = Math.fround(scale * i);
    const low = Math.min(Math.floor(source), from - 1);
    const high = low < from - 1 ? low + 1 : low;
    const highWeight = Math.min(Math.max(Math.fround(source - low), 0), 1);
    matrix[i * from + low]! += Math.fround(1 - highWeight);
    matrix[i * from + high]! += highWeight;
  }
  return matrix;
}

/**
 * Upsamples the square maps in the last two axes of `x` [..., from, from] to [..., to, to]
 * (bilinear, align_corners=True).
 */
export function upsampleBilinearAlignCorners(g: GraphBuilder, x: string, from: number, to: number, name = 'upsample'): string {
  const rows = alignCornersInterpolationMatrix(from, to);
  const columns = new Float32Array(from * to); // Uᵀ [from, to]
  for (let i = 0; i < to; i++) for (let j = 0; j < from; j++) columns[j * to + i] = rows[i * from + j]!;
  const u = g.constant({ dtype: 'F32', shape: [to, from], data: rows }, `${name}.rows`);
  const uT = g.constant({ dtype: 'F32', shape: [from, to], data: columns }, `${name}.columns`);
  return g.matmul(g.matmul(u, x, `${name}.along_rows`), uT, name);
}
