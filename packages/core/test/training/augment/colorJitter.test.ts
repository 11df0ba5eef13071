import { describe, expect, it } from 'vitest';
import { ColorJitter } from '../../../src/config/trainingSettings.js';
import { AaclipError } from '../../../src/errors/aaclipError.js';
import type { Rgb8Image } from '../../../src/preprocess/rgb8Image.js';
import { SeededRandom } from '../../../src/training/random/seededRandom.js';
import {
  adjustBrightness,
  adjustContrast,
  adjustSaturation,
  blendPil,
  lumaPil,
} from '../../../src/training/augment/pilEnhance.js';
import { applyColorJitter, drawColorJitter, jitterColors } from '../../../src/training/augment/colorJitter.js';

const image = (width: number, height: number, values: number[]): Rgb8Image => ({ width, height, data: Uint8Array.from(values) });

function noise(width: number, height: number, seed: number): Rgb8Image {
  const rng = SeededRandom.fromSeed(seed);
  return { width, height, data: Uint8Array.from({ length: width * height * 3 }, () => rng.int(256)) };
}

describe('Pillow ImageEnhance on 8-bit RGB', () => {
  const img = image(2, 2, [0, 1, 3, 100, 101, 255, 254, 17, 9, 60, 61, 62]);

  it('factor 1 is the identity for brightness, contrast and saturation', () => {
    for (const adjust of [adjustBrightness, adjustContrast, adjustSaturation]) {
      expect(Array.from(adjust(img, 1).data)).toEqual(Array.from(img.data));
    }
  });

  it('brightness 0.5 halves every value, truncating like Pillow’s C cast (3 → 1, 255 → 127)', () => {
    expect(Array.from(adjustBrightness(img, 0.5).data)).toEqual(Array.from(img.data, (v) => Math.floor(v / 2)));
  });

  it('brightness above 1 extrapolates and clamps at 255', () => {
    expect(Array.from(adjustBrightness(image(1, 1, [100, 170, 200]), 1.5).data)).toEqual([150, 255, 255]);
  });

  it('takes luma as Pillow does: (19595 R + 38470 G + 7471 B + 2^15) >> 16', () => {
    // Pillow's convert('L') of pure red, green, blue, white and a mixed pixel.
    const rgb = image(5, 1, [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 10, 200, 30]);
    expect(Array.from(lumaPil(rgb))).toEqual([76, 150, 29, 255, 124]);
  });

  it('saturation 0 gives the luma image in all three channels', () => {
    const grey = adjustSaturation(image(2, 1, [255, 0, 0, 10, 200, 30]), 0);
    expect(Array.from(grey.data)).toEqual([76, 76, 76, 124, 124, 124]);
  });

  it('contrast 0 gives the rounded mean luma everywhere, and contrast 2 pushes away from it', () => {
    // Lumas 76 and 150: mean 113.
    const two = image(2, 1, [255, 0, 0, 0, 255, 0]);
    expect(Array.from(adjustContrast(two, 0).data)).toEqual([113, 113, 113, 113, 113, 113]);
    // 113 + 2·(v − 113): 397 → 255, −113 → 0.
    expect(Array.from(adjustContrast(two, 2).data)).toEqual([255, 0, 0, 0, 255, 0]);
    // Lumas 76 and 29 → mean 52.5 → int(52.5 + 0.5) = 53 (Pillow rounds half up here).
    expect(Array.from(adjustContrast(image(2, 1, [255, 0, 0, 0, 0, 255]), 0).data)).toEqual([53, 53, 53, 53, 53, 53]);
  });

  it('blends in float32 and truncates: d + f·(i − d)', () => {
    expect(Array.from(blendPil(Uint8Array.from([10, 10, 200]), Uint8Array.from([20, 0, 100]), 0.25))).toEqual([12, 7, 175]);
    // Outside [0, 1] it clamps before truncating.
    expect(Array.from(blendPil(Uint8Array.from([10, 10]), Uint8Array.from([20, 0]), 1.26))).toEqual([22, 0]);
  });
});

describe('jitterColors (drawn from the seed)', () => {
  const settings = ColorJitter.parse({});
  const img = noise(8, 6, 21);

  it('is the identity with probability 0 and with strength 0', () => {
    const never = ColorJitter.parse({ probability: 0 });
    expect(Array.from(jitterColors(img, SeededRandom.fromSeed(1), never).data)).toEqual(Array.from(img.data));
    const flat = ColorJitter.parse({ brightness: 0, contrast: 0, saturation: 0, probability: 1 });
    expect(Array.from(jitterColors(img, SeededRandom.fromSeed(1), flat).data)).toEqual(Array.from(img.data));
  });

  it('repeats with the same seed, differs with another, and never mutates the input', () => {
    const copy = img.data.slice();
    const always = ColorJitter.parse({ probability: 1 });
    const a = jitterColors(img, SeededRandom.fromSeed(5), always);
    expect(a.data).toEqual(jitterColors(img, SeededRandom.fromSeed(5), always).data);
    expect(a.data).not.toEqual(jitterColors(img, SeededRandom.fromSeed(6), always).data);
    expect(img.data).toEqual(copy);
    expect(a.data).not.toBe(img.data);
  });

  it('applies brightness, then contrast, then saturation with factors in [1 − s, 1 + s]', () => {
    const rng = SeededRandom.fromSeed(7);
    let applied = 0;
    for (let t = 0; t < 300; t++) {
      const draw = drawColorJitter(rng, settings);
      for (const f of [draw.brightness, draw.contrast, draw.saturation]) {
        if (f === null) continue;
        applied++;
        expect(f).toBeGreaterThanOrEqual(0.5);
        expect(f).toBeLessThan(1.5);
      }
    }
    expect(Math.abs(applied - 0.7 * 900)).toBeLessThan(60);
    const draw = { brightness: 0.8, contrast: 1.3, saturation: 0.6 };
    const expected = adjustSaturation(adjustContrast(adjustBrightness(img, 0.8), 1.3), 0.6);
    expect(applyColorJitter(img, draw).data).toEqual(expected.data);
  });

  it('rejects an inconsistent image', () => {
    expect(() => jitterColors(image(2, 2, [1, 2, 3]), SeededRandom.fromSeed(0), settings)).toThrow(AaclipError);
  });
});
