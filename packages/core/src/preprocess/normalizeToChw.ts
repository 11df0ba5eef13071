import { AaclipError } from '../errors/aaclipError.js';
import { checkRgb8Image, type Rgb8Image } from './rgb8Image.js';

/** CLIP's (OpenAI) per-channel normalisation, used by the reference. */
export const CLIP_MEAN: readonly [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: readonly [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

/**
 * 8-bit RGB → planar float32 [3, H, W] with (x / 255 − mean) / std per channel — torchvision's
 * `ToTensor` followed by `Normalize`, each step rounded to float32 as those float32 tensor ops do.
 */
export function normalizeToChw(
  rgb: Rgb8Image,
  mean: readonly number[] = CLIP_MEAN,
  std: readonly number[] = CLIP_STD,
  source = 'image',
): Float32Array {
  checkRgb8Image(rgb, source);
  if (mean.length !== 3 || std.length !== 3) {
    throw new AaclipError(`mean and std need 3 values each, got ${mean.length} and ${std.length}`, source);
  }
  if (!std.every((s) => Number.isFinite(s) && s !== 0) || !mean.every((m) => Number.isFinite(m))) {
    throw new AaclipError('mean must be finite and std finite and non-zero', source);
  }
  const plane = rgb.width * rgb.height;
  const out = new Float32Array(3 * plane);
  const src = rgb.data;
  // A 256-entry table per channel: the result depends only on the byte value.
  const lut = new Float32Array(256);
  for (let c = 0; c < 3; c++) {
    const m = Math.fround(mean[c]!);
    const s = Math.fround(std[c]!);
    for (let v = 0; v < 256; v++) lut[v] = Math.fround(Math.fround(v / 255) - m) / s;
    const base = c * plane;
    for (let p = 0, i = c; p < plane; p++, i += 3) out[base + p] = lut[src[i]!]!;
  }
  return out;
}
