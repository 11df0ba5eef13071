import type { RawImage } from '../image/rawImage.js';
import { normalizeToChw } from './normalizeToChw.js';
import { resizeBicubicPil } from './resizeBicubicPil.js';
import { toRgb8 } from './toRgb8.js';

export interface PreprocessOptions {
  /** Per-channel mean, default CLIP's. */
  readonly mean?: readonly number[];
  /** Per-channel std, default CLIP's. */
  readonly std?: readonly number[];
  /** Names the image in error messages. */
  readonly source?: string;
}

/**
 * The reference's image transform: PIL convert('RGB'), Resize((size, size), BICUBIC) — a square
 * resize, the aspect ratio is not kept — then ToTensor and Normalize. Returns float32 [3, size, size].
 */
export function preprocessImage(image: RawImage, size: number, opts: PreprocessOptions = {}): Float32Array {
  const source = opts.source ?? 'image';
  const rgb = toRgb8(image, source);
  const resized = resizeBicubicPil(rgb, size, size, source);
  return normalizeToChw(resized, opts.mean, opts.std, source);
}
