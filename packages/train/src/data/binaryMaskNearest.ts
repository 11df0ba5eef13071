import { AaclipError, type RawImage } from '@aaclip/core';

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
 * A mask at width×height as the reference's training data makes it: Pillow's
 * Resize((H, W), NEAREST), then `!= 0` — a pixel is anomalous when any colour channel is non-zero
 * (alpha is ignored). `null` gives all zeros. Returns 0/1 float32, row-major.
 */
export function binaryMaskNearest(mask: RawImage | null, width: number, height: number, source = 'mask'): Float32Array {
  const out = new Float32Array(width * height);
  if (!mask) return out;
  const { channels, data } = mask;
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
