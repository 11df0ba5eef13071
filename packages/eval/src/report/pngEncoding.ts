import sharp from 'sharp';
import { AaclipError } from '@aaclip/core';

export interface PngOptions {
  /** Shrink (never enlarge) so that the longer side is at most this many pixels. */
  readonly maxSide?: number;
}

/** Encodes interleaved RGB bytes as a PNG (with sharp: Node only; the browser entry leaves it out). */
export async function encodeRgbPng(rgb: Uint8Array, width: number, height: number, options: PngOptions = {}): Promise<Uint8Array> {
  if (rgb.length !== width * height * 3) {
    throw new AaclipError(`has ${rgb.length} bytes, a ${width}×${height} RGB image needs ${width * height * 3}`, 'png');
  }
  let image = sharp(rgb, { raw: { width, height, channels: 3 } });
  if (options.maxSide && Math.max(width, height) > options.maxSide) {
    image = image.resize({ width: options.maxSide, height: options.maxSide, fit: 'inside' });
  }
  return new Uint8Array(await image.png().toBuffer());
}
