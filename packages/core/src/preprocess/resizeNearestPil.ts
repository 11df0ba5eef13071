import { AaclipError } from '../errors/aaclipError.js';

/**
 * A ground-truth mask as decoded (a `RawImage` fits): interleaved channels, row-major. With 2 or
 * 4 channels the last one is alpha and is ignored. No `channels` means one.
 */
export interface MaskImage {
  readonly width: number;
  readonly height: number;
  readonly channels?: 1 | 2 | 3 | 4;
  readonly data: Uint8Array | Uint16Array | Float32Array;
}

/**
 * The source index of each of `dst` output pixels when Pillow resizes `src` pixels with NEAREST.
 * Pillow (ImagingScaleAffine) starts at ½·scale and adds scale = src/dst in double precision for
 * each pixel, truncating each position; the rounding of that running sum makes a few indices differ
 * from ⌊(i + ½)·src/dst⌋ (e.g. 1024 → 518), so it is reproduced step by step.
 */
export function pillowNearestIndices(src: number, dst: number): Int32Array {
  const scale = src / dst;
  const out = new Int32Array(dst);
  let position = scale * 0.5;
  for (let i = 0; i < dst; i++) {
    out[i] = Math.min(src - 1, Math.max(0, Math.trunc(position)));
    position += scale;
  }
  return out;
}

/**
 * The mask at width×height as the reference makes its ground truth: Pillow's
 * `Image.resize((W, H), NEAREST)`, then `!= 0` — a pixel is anomalous when any colour channel is
 * non-zero (alpha is ignored). `null` (a normal image without a mask) gives all zeros.
 * Returns 0/1 bytes, row-major.
 */
export function binaryMaskNearest(mask: MaskImage | null | undefined, width: number, height: number, source = 'mask'): Uint8Array {
  const out = new Uint8Array(width * height);
  if (!mask) return out;
  const channels = mask.channels ?? 1;
  const { data } = mask;
  if (!(mask.width > 0 && mask.height > 0) || data.length !== mask.width * mask.height * channels) {
    throw new AaclipError(`mask data has ${data.length} values, ${mask.width}×${mask.height}×${channels} needs ${mask.width * mask.height * channels}`, source);
  }
  const colour = channels === 2 || channels === 4 ? channels - 1 : channels;
  const columns = pillowNearestIndices(mask.width, width);
  const rows = pillowNearestIndices(mask.height, height);
  for (let y = 0; y < height; y++) {
    const row = rows[y]! * mask.width;
    for (let x = 0; x < width; x++) {
      const base = (row + columns[x]!) * channels;
      let on = 0;
      for (let c = 0; c < colour; c++) if (data[base + c] !== 0) on = 1;
      out[y * width + x] = on;
    }
  }
  return out;
}
