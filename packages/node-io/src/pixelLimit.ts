import { AaclipError } from '@aaclip/core';

/** Largest image accepted (pixels); larger files are refused before decoding. */
export const MAX_IMAGE_PIXELS = 100_000_000;

export interface DecodeImageOptions {
  /**
   * Largest width × height accepted, at most MAX_IMAGE_PIXELS (the default). The size is read from
   * the file's header, so an image past it (a decompression bomb: a small file declaring a huge
   * image) is refused before any pixel is decoded, with an AaclipError of code 'too-large'.
   */
  readonly maxPixels?: number;
}

/** The pixel limit of `options`, checked to be a positive integer no larger than MAX_IMAGE_PIXELS. */
export function pixelLimit(options: DecodeImageOptions): number {
  const limit = options.maxPixels ?? MAX_IMAGE_PIXELS;
  if (!Number.isInteger(limit) || limit <= 0 || limit > MAX_IMAGE_PIXELS) {
    throw new AaclipError(`expected a whole number from 1 to ${MAX_IMAGE_PIXELS}, got ${limit}`, 'maxPixels');
  }
  return limit;
}

/** Throws a 'too-large' AaclipError when width × height is past the limit. */
export function checkPixelCount(width: number, height: number, maxPixels: number, source: string): void {
  if (width * height > maxPixels) {
    throw new AaclipError(`${width}×${height} pixels is past the limit of ${maxPixels} pixels`, source, { code: 'too-large' });
  }
}
