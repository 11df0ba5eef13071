import { AaclipError } from '@aaclip/core';

/**
 * A ground-truth mask as decoded (a `RawImage` fits): interleaved channels, row-major. With 2 or
 * 4 channels the last one is alpha and is ignored.
 */
export interface MaskImage {
  readonly width: number;
  readonly height: number;
  readonly channels?: 1 | 2 | 3 | 4;
  readonly data: Uint8Array | Uint16Array | Float32Array;
}

/**
 * The mask at width×height as 0/1 bytes: resized with nearest neighbour as PIL's `Image.resize(…,
 * NEAREST)` samples (source index ⌊(i + ½)·src/dst⌋) and binarised `!= 0` — a pixel is anomalous
 * when any colour channel is non-zero. `null` (a normal image without a mask) gives all zeros.
 */
export function binaryMaskAtSize(mask: MaskImage | null | undefined, width: number, height: number, source = 'mask'): Uint8Array {
  const out = new Uint8Array(width * height);
  if (!mask) return out;
  const channels = mask.channels ?? 1;
  const colour = channels === 2 || channels === 4 ? channels - 1 : channels;
  if (!(mask.width > 0 && mask.height > 0) || mask.data.length !== mask.width * mask.height * channels) {
    throw new AaclipError(
      `mask data has ${mask.data.length} values, ${mask.width}×${mask.height}×${channels} needs ${mask.width * mask.height * channels}`,
      source,
    );
  }
  const sourceColumn = new Int32Array(width);
  for (let x = 0; x < width; x++) sourceColumn[x] = Math.min(mask.width - 1, Math.floor(((2 * x + 1) * mask.width) / (2 * width)));
  for (let y = 0; y < height; y++) {
    const sy = Math.min(mask.height - 1, Math.floor(((2 * y + 1) * mask.height) / (2 * height)));
    const row = sy * mask.width;
    for (let x = 0; x < width; x++) {
      const base = (row + sourceColumn[x]!) * channels;
      let on = 0;
      for (let c = 0; c < colour; c++) if (mask.data[base + c] !== 0) on = 1;
      out[y * width + x] = on;
    }
  }
  return out;
}
