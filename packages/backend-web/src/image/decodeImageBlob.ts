import { AaclipError, type RawImage } from '@aaclip/core';
import { IMAGE_HEADER_BYTES, readImageHeader } from './imageDimensions.js';

/** Largest image the browser decoder accepts by default (pixels): 64 megapixels, i.e. 8192 × 8192. */
export const MAX_BROWSER_IMAGE_PIXELS = 8192 * 8192;

export interface DecodeImageOptions {
  /** Refuse images with more pixels than this (checked from the header, before decoding). */
  readonly maxPixels?: number;
}

/**
 * Decodes an image file the user picked (a Blob or File) to raw RGBA pixels with the browser's
 * own decoders. A non-image, a truncated file or an image over `maxPixels` fails with an
 * AaclipError naming `source`.
 */
export async function decodeImageBlob(blob: Blob, source: string, options: DecodeImageOptions = {}): Promise<RawImage> {
  const maxPixels = options.maxPixels ?? MAX_BROWSER_IMAGE_PIXELS;
  const head = new Uint8Array(await blob.slice(0, IMAGE_HEADER_BYTES).arrayBuffer());
  const header = readImageHeader(head, source);
  if (header.width * header.height > maxPixels) {
    throw new AaclipError(
      `image is ${header.width}×${header.height} = ${(header.width * header.height / 1e6).toFixed(1)} megapixels; the limit is ${(maxPixels / 1e6).toFixed(1)}`,
      source,
    );
  }
  let bitmap: ImageBitmap;
  try {
    // No colour conversion and no premultiplication: the pixels as stored, like PIL reads them.
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    throw new AaclipError(`the ${header.format.toUpperCase()} data cannot be decoded (corrupt or truncated)`, source);
  }
  try {
    const { width, height } = bitmap;
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new AaclipError('the browser gave no 2D canvas to read pixels from', source);
    context.drawImage(bitmap, 0, 0);
    const pixels = context.getImageData(0, 0, width, height).data;
    return { width, height, channels: 4, bitDepth: 8, data: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength) };
  } finally {
    bitmap.close();
  }
}
