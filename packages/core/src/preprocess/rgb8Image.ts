import { AaclipError } from '../errors/aaclipError.js';

/** 8-bit RGB pixels, interleaved, row-major (PIL mode "RGB"). */
export interface Rgb8Image {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Throws an AaclipError naming `source` unless `image` is a consistent Rgb8Image. */
export function checkRgb8Image(image: Rgb8Image, source: string): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new AaclipError(`image size ${width}×${height} is not a positive integer size`, source);
  }
  if (!(data instanceof Uint8Array)) throw new AaclipError('RGB pixel data must be a Uint8Array', source);
  if (data.length !== width * height * 3) {
    throw new AaclipError(`has ${data.length} bytes, a ${width}×${height} RGB image needs ${width * height * 3}`, source);
  }
}
