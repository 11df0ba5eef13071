import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { AaclipError } from '@aaclip/core';
import { readImageHeader } from '../src/index.js';

const solid = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 10, g: 200, b: 90 } } });

function errorOf(fn: () => unknown): AaclipError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AaclipError);
    return err as AaclipError;
  }
  throw new Error('expected an error');
}

describe('readImageHeader', () => {
  it.each([
    ['png', (s: Sharp) => s.png()],
    ['jpeg', (s: Sharp) => s.jpeg()],
    ['jpeg', (s: Sharp) => s.jpeg().withExif({ IFD0: { Copyright: 'x'.repeat(3000) } })],
    ['gif', (s: Sharp) => s.gif()],
    ['webp', (s: Sharp) => s.webp({ lossless: false })],
    ['webp', (s: Sharp) => s.webp({ lossless: true })],
  ] as const)('reads the size of a %s file from its header', async (format, encode) => {
    for (const [width, height] of [
      [37, 91],
      [1203, 4],
    ] as const) {
      const bytes = new Uint8Array(await encode(solid(width, height)).toBuffer());
      expect(readImageHeader(bytes, 'x')).toEqual({ format, width, height });
    }
  });

  it('reads a WebP with an extended (VP8X) header', async () => {
    const bytes = new Uint8Array(await solid(300, 17).webp().withMetadata({ orientation: 3 }).toBuffer());
    expect(String.fromCharCode(...bytes.subarray(12, 16))).toBe('VP8X');
    expect(readImageHeader(bytes, 'x')).toEqual({ format: 'webp', width: 300, height: 17 });
  });

  it('reads a bottom-up and a top-down BMP', () => {
    for (const height of [33, -33]) {
      const bytes = new Uint8Array(54);
      const view = new DataView(bytes.buffer);
      bytes.set([0x42, 0x4d]);
      view.setUint32(14, 40, true);
      view.setInt32(18, 70, true);
      view.setInt32(22, height, true);
      expect(readImageHeader(bytes, 'x')).toEqual({ format: 'bmp', width: 70, height: 33 });
    }
  });

  it('refuses a file that is not an image, naming the file', () => {
    const err = errorOf(() => readImageHeader(new TextEncoder().encode('hello, I am a text file'), 'notes.txt'));
    expect(err.message).toBe('notes.txt: not an image (PNG, JPEG, GIF, WebP or BMP expected)');
  });

  it('refuses truncated and empty-image headers', async () => {
    const png = new Uint8Array(await solid(5, 5).png().toBuffer());
    expect(errorOf(() => readImageHeader(png.subarray(0, 12), 'cut.png')).message).toBe('cut.png: PNG header is truncated');
    const jpeg = new Uint8Array(await solid(5, 5).jpeg().toBuffer());
    expect(errorOf(() => readImageHeader(jpeg.subarray(0, 6), 'cut.jpg')).message).toMatch(/^cut\.jpg: JPEG .*truncated/);
    const zeroWidth = png.slice();
    new DataView(zeroWidth.buffer).setUint32(16, 0);
    expect(errorOf(() => readImageHeader(zeroWidth, 'empty.png')).message).toBe('empty.png: PNG header gives an empty image');
  });
});
