import { describe, expect, it } from 'vitest';
import { toRgb8 } from '../../src/preprocess/toRgb8.js';
import { AaclipError } from '../../src/errors/aaclipError.js';
import type { RawImage } from '../../src/image/rawImage.js';

const img = (channels: RawImage['channels'], bitDepth: 8 | 16, values: number[], width = 2, height = 1): RawImage => ({
  width,
  height,
  channels,
  bitDepth,
  data: bitDepth === 8 ? Uint8Array.from(values) : Uint16Array.from(values),
});

describe('toRgb8 (PIL convert("RGB") semantics)', () => {
  it('copies 8-bit RGB', () => {
    const out = toRgb8(img(3, 8, [1, 2, 3, 250, 251, 252]));
    expect(out).toMatchObject({ width: 2, height: 1 });
    expect(Array.from(out.data)).toEqual([1, 2, 3, 250, 251, 252]);
  });

  it('replicates grey', () => {
    expect(Array.from(toRgb8(img(1, 8, [7, 200])).data)).toEqual([7, 7, 7, 200, 200, 200]);
  });

  it('drops alpha without compositing (RGBA and grey + alpha)', () => {
    // A fully transparent pixel keeps its stored colour, as PIL's convert('RGB') does.
    expect(Array.from(toRgb8(img(4, 8, [10, 20, 30, 0, 40, 50, 60, 128])).data)).toEqual([10, 20, 30, 40, 50, 60]);
    expect(Array.from(toRgb8(img(2, 8, [90, 0, 255, 17])).data)).toEqual([90, 90, 90, 255, 255, 255]);
  });

  it('keeps the high byte of 16-bit samples (RGB, RGBA, grey, grey + alpha)', () => {
    expect(Array.from(toRgb8(img(3, 16, [0x1234, 0xffff, 0x00ff, 0x8000, 0x7fff, 0x0100])).data)).toEqual([
      0x12, 0xff, 0x00, 0x80, 0x7f, 0x01,
    ]);
    expect(Array.from(toRgb8(img(4, 16, [0xabcd, 0x0102, 0xfe00, 0, 1, 2, 3, 0xffff])).data)).toEqual([
      0xab, 0x01, 0xfe, 0, 0, 0,
    ]);
    // 16-bit grey is scaled (v >> 8), not clipped to 0..255 as PIL's "I;16" → "RGB" would.
    expect(Array.from(toRgb8(img(1, 16, [0x4000, 0xffff])).data)).toEqual([0x40, 0x40, 0x40, 0xff, 0xff, 0xff]);
    expect(Array.from(toRgb8(img(2, 16, [0x8080, 0, 0x0101, 0xffff])).data)).toEqual([0x80, 0x80, 0x80, 1, 1, 1]);
  });

  it('rejects inconsistent input with a one-line AaclipError naming the image', () => {
    expect(() => toRgb8(img(3, 8, [1, 2, 3]), 'a.png')).toThrow(AaclipError);
    expect(() => toRgb8(img(3, 8, [1, 2, 3]), 'a.png')).toThrow(/^a\.png: has 3 samples/);
    expect(() => toRgb8({ width: 1, height: 1, channels: 3, bitDepth: 16, data: new Uint8Array(3) }, 'b.png')).toThrow(
      /b\.png: 16-bit pixel data must be a Uint16Array/,
    );
    expect(() => toRgb8({ width: 0, height: 1, channels: 3, bitDepth: 8, data: new Uint8Array(0) }, 'c.png')).toThrow(
      /c\.png: image size/,
    );
    expect(() =>
      toRgb8({ width: 1, height: 1, channels: 5 as RawImage['channels'], bitDepth: 8, data: new Uint8Array(5) }, 'd.png'),
    ).toThrow(/d\.png: unsupported channel count 5/);
  });
});
