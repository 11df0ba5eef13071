import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { AaclipError } from '@aaclip/core';
import { decodeImageBytes, MAX_IMAGE_PIXELS } from '../src/index.js';
import { declaredSizeBmp, declaredSizePng } from '../../../test-support/craftedImages.js';

async function decodeError(bytes: Uint8Array, maxPixels?: number): Promise<AaclipError> {
  const err = await decodeImageBytes(bytes, 'upload.img', maxPixels === undefined ? {} : { maxPixels }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AaclipError);
  return err as AaclipError;
}

describe('the pixel limit of decodeImageBytes', () => {
  it('refuses a PNG declaring 60000×60000 pixels from its header, as too-large, within the default limit', async () => {
    const started = process.memoryUsage().rss;
    const err = await decodeError(declaredSizePng(60_000, 60_000));
    expect(err.code).toBe('too-large');
    expect(err.message).toBe(`upload.img: 60000×60000 pixels is past the limit of ${MAX_IMAGE_PIXELS} pixels`);
    // Decoding it would take 10.8 GB; refusing it from the header takes next to nothing.
    expect(process.memoryUsage().rss - started).toBeLessThan(200 * 1024 * 1024);
  });

  it('refuses a BMP header past the limit the same way', async () => {
    const err = await decodeError(declaredSizeBmp(20_000, 20_000), 1_000_000);
    expect(err.code).toBe('too-large');
    expect(err.message).toBe('upload.img: 20000×20000 pixels is past the limit of 1000000 pixels');
  });

  it('applies a lower maxPixels to real images: 40×40 passes at 1600 and is refused at 1599', async () => {
    const png = new Uint8Array(await sharp({ create: { width: 40, height: 40, channels: 3, background: '#808080' } }).png().toBuffer());
    expect((await decodeImageBytes(png, 'ok.png', { maxPixels: 1600 })).width).toBe(40);
    expect((await decodeError(png, 1599)).code).toBe('too-large');
  });

  it('rejects a maxPixels that is not a whole number from 1 to MAX_IMAGE_PIXELS', async () => {
    for (const bad of [0, -1, 1.5, MAX_IMAGE_PIXELS + 1]) {
      await expect(decodeImageBytes(new Uint8Array(8), 'x', { maxPixels: bad })).rejects.toThrow(/^maxPixels: expected a whole number/);
    }
  });

  it('still calls a header that is not an image a bad input', async () => {
    const err = await decodeError(new TextEncoder().encode('this is not an image at all'));
    expect(err.code).toBe('bad-input');
    expect(err.message).toMatch(/^upload\.img: not a readable image/);
  });
});
