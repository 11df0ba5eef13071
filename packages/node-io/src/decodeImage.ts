import sharp from 'sharp';
import { AaclipError, type RawImage } from '@aaclip/core';
import { decodeBmp, looksLikeBmp } from './decoders/bmp.js';
import { readRegularFile } from './files/readRegularFile.js';
import { checkPixelCount, pixelLimit, type DecodeImageOptions } from './pixelLimit.js';

/**
 * Decodes an image file (PNG, JPEG, TIFF, WebP, BMP, …) to raw pixels with sharp. Corrupt, truncated,
 * missing and oversized files, and anything that is not a regular file (a FIFO, a device, a folder),
 * fail with an AaclipError naming the file.
 */
export async function decodeImageFile(file: string, options: DecodeImageOptions = {}): Promise<RawImage> {
  return decodeImageBytes(await readRegularFile(file, 'image'), file, options);
}

/** decodeImageFile on bytes in memory (an upload); `source` names them in errors. */
export async function decodeImageBytes(bytes: Uint8Array, source: string, options: DecodeImageOptions = {}): Promise<RawImage> {
  const maxPixels = pixelLimit(options);
  if (looksLikeBmp(bytes)) return decodeBmp(bytes, source, maxPixels);
  try {
    // The header alone gives the size: checked before anything is decoded.
    const header = await sharp(bytes, { limitInputPixels: false }).metadata();
    checkPixelCount(header.width, header.height, maxPixels, source);
    // failOn 'truncated' rejects cut-off files instead of returning a partly grey image.
    const image = sharp(bytes, { failOn: 'truncated', limitInputPixels: maxPixels });
    const meta = await image.metadata();
    const sixteenBit = meta.depth === 'ushort';
    // sharp converts to 8-bit sRGB unless told to keep 16 bits per sample.
    const pipeline = sixteenBit
      ? image.toColourspace((meta.channels ?? 3) <= 2 ? 'grey16' : 'rgb16').raw({ depth: 'ushort' })
      : image.raw();
    const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
    const channels = info.channels as 1 | 2 | 3 | 4;
    if (sixteenBit) {
      const words = new Uint16Array(data.byteLength / 2);
      new Uint8Array(words.buffer).set(data);
      return { width: info.width, height: info.height, channels, bitDepth: 16, data: words };
    }
    return { width: info.width, height: info.height, channels, bitDepth: 8, data: new Uint8Array(data) };
  } catch (err) {
    if (err instanceof AaclipError) throw err;
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
    throw new AaclipError(`not a readable image (${message.replace(/^Input buffer /, '')})`, source);
  }
}
