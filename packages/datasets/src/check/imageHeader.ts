import sharp from 'sharp';
import { AaclipError } from '@aaclip/core';
import { decodeImageFile } from '@aaclip/node-io';
import { readBmpSize } from './bmpHeader.js';
import { maskIsBlank } from './maskAnomalies.js';

export type ImageSizeResult =
  | { readonly ok: true; readonly width: number; readonly height: number; readonly blank?: boolean }
  | { readonly ok: false; readonly reason: string };

/**
 * The pixel size of an image file. By default only the header is read (fast; catches files that
 * are missing or not images); with `decode` every pixel is decoded by the pipeline's own decoder,
 * so a file that passes will also pass `aaclip detect`/`eval`, and `blank` tells whether every
 * colour sample is 0 (what matters for a mask).
 */
export async function readImageSize(file: string, decode: boolean): Promise<ImageSizeResult> {
  try {
    if (decode) {
      const image = await decodeImageFile(file);
      return { ok: true, width: image.width, height: image.height, blank: maskIsBlank(image) };
    }
    const bmp = await readBmpSize(file);
    if (bmp) return 'reason' in bmp ? { ok: false, reason: bmp.reason } : { ok: true, ...bmp };
    const meta = await sharp(file).metadata();
    if (!meta.width || !meta.height) return { ok: false, reason: 'the header has no image size' };
    return { ok: true, width: meta.width, height: meta.height };
  } catch (err) {
    const message = err instanceof AaclipError ? err.problem : err instanceof Error ? err.message : String(err);
    return { ok: false, reason: (message.split('\n')[0] ?? message).replace(/^Input file /, '') };
  }
}
