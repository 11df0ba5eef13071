import sharp from 'sharp';
import { readBmpSize } from './bmpHeader.js';

export type ImageSizeResult =
  | { readonly ok: true; readonly width: number; readonly height: number }
  | { readonly ok: false; readonly reason: string };

/**
 * The pixel size of an image file. By default only the header is read (fast; catches files that
 * are missing or not images); with `decode` every pixel is decoded with sharp, failing on
 * truncated data as the pipeline's decoder does — and on BMP files, which sharp cannot decode.
 */
export async function readImageSize(file: string, decode: boolean): Promise<ImageSizeResult> {
  try {
    if (decode) {
      const { info } = await sharp(file, { failOn: 'truncated' }).raw().toBuffer({ resolveWithObject: true });
      return { ok: true, width: info.width, height: info.height };
    }
    const bmp = await readBmpSize(file);
    if (bmp) return 'reason' in bmp ? { ok: false, reason: bmp.reason } : { ok: true, ...bmp };
    const meta = await sharp(file).metadata();
    if (!meta.width || !meta.height) return { ok: false, reason: 'the header has no image size' };
    return { ok: true, width: meta.width, height: meta.height };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, reason: (message.split('\n')[0] ?? message).replace(/^Input file /, '') };
  }
}
