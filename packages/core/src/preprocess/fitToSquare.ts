// The resize modes of open_clip's `preprocess_cfg.resize_mode`, on 8-bit RGB, with the sizes and
// offsets torchvision and open_clip compute (Python's round is half-to-even, which they rely on).
import { AaclipError } from '../errors/aaclipError.js';
import { checkRgb8Image, type Rgb8Image } from './rgb8Image.js';
import { resizeRgb8Pil, type PilResizeFilter } from './resizeBicubicPil.js';

/** How an image of any aspect ratio becomes S×S (see PreprocessConfig). */
export type ResizeMode = 'squash' | 'shortest' | 'longest';

/** Python 3's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * torchvision `Resize(S)` on a PIL image: the short side becomes S, the long one
 * int(S · long / short). Returns [width, height].
 */
export function shortestSideSize(width: number, height: number, size: number): [number, number] {
  if (width <= height) return [size, Math.trunc((size * height) / width)];
  return [Math.trunc((size * width) / height), size];
}

/**
 * open_clip `ResizeKeepRatio(S, longest=1)`: ratio = max(h / S, w / S), each side round(side / ratio).
 * Returns [width, height].
 */
export function longestSideSize(width: number, height: number, size: number): [number, number] {
  const ratio = Math.max(height / size, width / size);
  return [roundHalfEven(width / ratio), roundHalfEven(height / ratio)];
}

/** Copies the window at (left, top) of size×size; pixels outside the image are `fill` grey. */
function window(rgb: Rgb8Image, left: number, top: number, size: number, fill: number): Rgb8Image {
  const data = new Uint8Array(size * size * 3).fill(fill);
  for (let y = 0; y < size; y++) {
    const sy = top + y;
    if (sy < 0 || sy >= rgb.height) continue;
    const x0 = Math.max(0, -left);
    const x1 = Math.min(size, rgb.width - left);
    if (x1 <= x0) continue;
    data.set(rgb.data.subarray((sy * rgb.width + left + x0) * 3, (sy * rgb.width + left + x1) * 3), (y * size + x0) * 3);
  }
  return { width: size, height: size, data };
}

/** torchvision `CenterCrop(S)`: offsets int(round((side − S) / 2)), half-to-even. */
function centerCrop(rgb: Rgb8Image, size: number): Rgb8Image {
  return window(rgb, roundHalfEven((rgb.width - size) / 2), roundHalfEven((rgb.height - size) / 2), size, 0);
}

/**
 * open_clip `CenterCropOrPad(S, fill)`: a short side is padded by ⌊(S − side) / 2⌋ before (the
 * rest after) with `fill`; a long side is cropped from int((side − S) / 2).
 */
function centerCropOrPad(rgb: Rgb8Image, size: number, fill: number): Rgb8Image {
  const offset = (side: number): number => (side < size ? -Math.floor((size - side) / 2) : Math.trunc((side - size) / 2));
  return window(rgb, offset(rgb.width), offset(rgb.height), size, fill);
}

export interface FitOptions {
  readonly mode: ResizeMode;
  readonly filter: PilResizeFilter;
  /** Grey 0..255 of the 'longest' padding (default 0). */
  readonly fill?: number;
  readonly source?: string;
}

/** The image as S×S 8-bit RGB, resized (Pillow) and cropped or padded as `mode` says. */
export function fitToSquare(rgb: Rgb8Image, size: number, options: FitOptions): Rgb8Image {
  const source = options.source ?? 'image';
  checkRgb8Image(rgb, source);
  if (!Number.isInteger(size) || size < 1) throw new AaclipError(`target size ${size} is not a positive integer`, source);
  switch (options.mode) {
    case 'squash':
      return resizeRgb8Pil(rgb, size, size, options.filter, source);
    case 'shortest': {
      const [w, h] = shortestSideSize(rgb.width, rgb.height, size);
      return centerCrop(resizeRgb8Pil(rgb, w, h, options.filter, source), size);
    }
    case 'longest': {
      const [w, h] = longestSideSize(rgb.width, rgb.height, size);
      const fill = options.fill ?? 0;
      if (!Number.isInteger(fill) || fill < 0 || fill > 255) throw new AaclipError(`fill ${fill} is not a grey level 0..255`, source);
      return centerCropOrPad(resizeRgb8Pil(rgb, Math.max(1, w), Math.max(1, h), options.filter, source), size, fill);
    }
    default:
      throw new AaclipError(`resize mode "${String(options.mode)}" is not one of squash, shortest, longest`, source);
  }
}
