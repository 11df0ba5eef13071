import { describe, expect, it } from 'vitest';
import { decodeBmp } from '../src/decoders/bmp.js';
import { decodeImageBytes } from '../src/decodeImage.js';

/** Writes a BITMAPINFOHEADER bitmap: `pixel(x, y)` gives the stored row bytes' content per pixel. */
function bmp(opts: {
  width: number;
  height: number;
  bpp: number;
  topDown?: boolean;
  palette?: number[][]; // RGB entries
  masks?: [number, number, number];
  pixelBytes: (x: number, y: number) => number[] | number; // bytes for ≥ 8 bpp, an index for < 8
}): Uint8Array {
  const { width, height, bpp } = opts;
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const paletteBytes = (opts.palette?.length ?? 0) * 4;
  const maskBytes = opts.masks ? 12 : 0;
  const dataOffset = 14 + 40 + maskBytes + paletteBytes;
  const out = new Uint8Array(dataOffset + stride * height);
  const v = new DataView(out.buffer);
  out.set([0x42, 0x4d]);
  v.setUint32(2, out.length, true);
  v.setUint32(10, dataOffset, true);
  v.setUint32(14, 40, true);
  v.setInt32(18, width, true);
  v.setInt32(22, opts.topDown ? -height : height, true);
  v.setUint16(26, 1, true);
  v.setUint16(28, bpp, true);
  v.setUint32(30, opts.masks ? 3 : 0, true);
  v.setUint32(46, opts.palette?.length ?? 0, true);
  if (opts.masks) opts.masks.forEach((m, i) => v.setUint32(54 + i * 4, m, true));
  opts.palette?.forEach(([r, g, b], i) => out.set([b!, g!, r!, 0], 14 + 40 + maskBytes + i * 4));
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (opts.topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const p = opts.pixelBytes(x, y);
      if (typeof p === 'number') {
        const bit = x * bpp;
        out[row + (bit >> 3)]! |= p << (8 - bpp - (bit & 7));
      } else {
        out.set(p, row + (x * bpp) / 8);
      }
    }
  }
  return out;
}

const rgbAt = (x: number, y: number): [number, number, number] => [(x * 37 + y) % 256, (y * 53 + 11) % 256, (x * y * 7) % 256];

function expectPixels(img: ReturnType<typeof decodeBmp>, expected: (x: number, y: number) => number[]): void {
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const o = (y * img.width + x) * 3;
      expect([img.data[o], img.data[o + 1], img.data[o + 2]]).toEqual(expected(x, y));
    }
  }
}

describe('BMP decoding (sharp has no BMP loader)', () => {
  it('reads 24-bit bottom-up bitmaps with padded rows', () => {
    const file = bmp({ width: 5, height: 3, bpp: 24, pixelBytes: (x, y) => [...rgbAt(x, y)].reverse() });
    const img = decodeBmp(file, 'a.bmp');
    expect([img.width, img.height, img.channels, img.bitDepth]).toEqual([5, 3, 3, 8]);
    expectPixels(img, rgbAt);
  });

  it('reads 8-bit and 1-bit palette bitmaps, top-down too', () => {
    const palette = Array.from({ length: 16 }, (_, i) => [i * 16, 255 - i * 16, (i * 40) % 256]);
    const img8 = decodeBmp(bmp({ width: 7, height: 4, bpp: 8, topDown: true, palette, pixelBytes: (x, y) => [(x + y) % 16] }), 'p8.bmp');
    expectPixels(img8, (x, y) => palette[(x + y) % 16]!);
    const mono = [[0, 0, 0], [255, 255, 255]];
    const img1 = decodeBmp(bmp({ width: 11, height: 2, bpp: 1, palette: mono, pixelBytes: (x, y) => (x + y) % 2 }), 'p1.bmp');
    expectPixels(img1, (x, y) => mono[(x + y) % 2]!);
  });

  it('reads 32-bit bit-field bitmaps and drops alpha', () => {
    const file = bmp({
      width: 3, height: 2, bpp: 32, masks: [0x00ff0000, 0x0000ff00, 0x000000ff],
      pixelBytes: (x, y) => { const [r, g, b] = rgbAt(x, y); return [b, g, r, 128]; },
    });
    expectPixels(decodeBmp(file, 'b.bmp'), rgbAt);
  });

  it('is used by decodeImageBytes for BMP files', async () => {
    const file = bmp({ width: 2, height: 2, bpp: 24, pixelBytes: (x, y) => [...rgbAt(x, y)].reverse() });
    const img = await decodeImageBytes(file, 'c.bmp');
    expectPixels(img as ReturnType<typeof decodeBmp>, rgbAt);
  });

  it('refuses truncated and unsupported bitmaps with one line naming the file', () => {
    const file = bmp({ width: 4, height: 4, bpp: 24, pixelBytes: () => [1, 2, 3] });
    expect(() => decodeBmp(file.subarray(0, file.length - 10), 'cut.bmp')).toThrow(/^cut\.bmp: not a readable BMP \(pixel data is truncated/);
    expect(() => decodeBmp(file.subarray(0, 20), 'tiny.bmp')).toThrow(/^tiny\.bmp: not a readable BMP/);
    const rle = file.slice();
    new DataView(rle.buffer).setUint32(30, 1, true);
    expect(() => decodeBmp(rle, 'rle.bmp')).toThrow(/compression 1/);
  });
});
