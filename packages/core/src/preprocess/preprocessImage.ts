import type { RawImage } from '../image/rawImage.js';
import { fitToSquare, type ResizeMode } from './fitToSquare.js';
import { normalizeToChw } from './normalizeToChw.js';
import type { PilResizeFilter } from './resizeBicubicPil.js';
import { toRgb8 } from './toRgb8.js';

export interface PreprocessOptions {
  /** Per-channel mean, default CLIP's. */
  readonly mean?: readonly number[];
  /** Per-channel std, default CLIP's. */
  readonly std?: readonly number[];
  /** Pillow's resampling filter; default 'bicubic' (the reference's). */
  readonly interpolation?: PilResizeFilter;
  /** How the aspect ratio is handled (see PreprocessConfig); default 'squash' (the reference's). */
  readonly resizeMode?: ResizeMode;
  /** Grey 0..255 of the 'longest' mode's padding; default 0. */
  readonly fillColor?: number;
  /** Names the image in error messages. */
  readonly source?: string;
}

/**
 * The reference's image transform: PIL convert('RGB'), Resize((size, size), BICUBIC) — a square
 * resize, the aspect ratio is not kept — then ToTensor and Normalize. `interpolation` and
 * `resizeMode` choose open_clip's other transforms (see PreprocessConfig). Returns float32 [3, size, size].
 */
export function preprocessImage(image: RawImage, size: number, opts: PreprocessOptions = {}): Float32Array {
  const source = opts.source ?? 'image';
  const rgb = toRgb8(image, source);
  const fitted = fitToSquare(rgb, size, {
    mode: opts.resizeMode ?? 'squash',
    filter: opts.interpolation ?? 'bicubic',
    ...(opts.fillColor !== undefined ? { fill: opts.fillColor } : {}),
    source,
  });
  return normalizeToChw(fitted, opts.mean, opts.std, source);
}
