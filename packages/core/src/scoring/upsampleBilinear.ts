import { AaclipError } from '../errors/aaclipError.js';

/** Per output position: the two source indices and the weight of the second (align_corners=True). */
function alignCornersAxis(inSize: number, outSize: number): { lo: Int32Array; hi: Int32Array; frac: Float64Array } {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float64Array(outSize);
  const scale = outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  for (let i = 0; i < outSize; i++) {
    const pos = scale * i;
    const i0 = Math.min(Math.floor(pos), inSize - 1);
    lo[i] = i0;
    hi[i] = Math.min(i0 + 1, inSize - 1);
    frac[i] = pos - i0;
  }
  return { lo, hi, frac };
}

/**
 * Bilinear resize of a single-channel [inH, inW] map to [outH, outW] with PyTorch's
 * `align_corners=True` (corner samples map onto corner samples). Writes into `out` when given.
 */
export function upsampleBilinear(
  src: Float32Array,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
  out?: Float32Array,
): Float32Array {
  for (const [v, name] of [[inH, 'input height'], [inW, 'input width'], [outH, 'output height'], [outW, 'output width']] as const) {
    if (!Number.isInteger(v) || v < 1) throw new AaclipError(`must be a positive integer, got ${v}`, `upsample ${name}`);
  }
  if (src.length !== inH * inW) throw new AaclipError(`has ${src.length} values, expected ${inH}×${inW}`, 'upsample input');
  const dst = out ?? new Float32Array(outH * outW);
  if (dst.length !== outH * outW) throw new AaclipError(`has ${dst.length} values, expected ${outH}×${outW}`, 'upsample output');
  const ys = alignCornersAxis(inH, outH);
  const xs = alignCornersAxis(inW, outW);
  for (let y = 0; y < outH; y++) {
    const r0 = ys.lo[y]! * inW;
    const r1 = ys.hi[y]! * inW;
    const fy = ys.frac[y]!;
    const row = y * outW;
    for (let x = 0; x < outW; x++) {
      const c0 = xs.lo[x]!;
      const c1 = xs.hi[x]!;
      const fx = xs.frac[x]!;
      const top = src[r0 + c0]! + (src[r0 + c1]! - src[r0 + c0]!) * fx;
      const bottom = src[r1 + c0]! + (src[r1 + c1]! - src[r1 + c0]!) * fx;
      dst[row + x] = top + (bottom - top) * fy;
    }
  }
  return dst;
}
