import { describe, expect, it } from 'vitest';
import { GeometricAugmentation } from '../../../src/config/trainingSettings.js';
import { AaclipError } from '../../../src/errors/aaclipError.js';
import { SeededRandom } from '../../../src/training/random/seededRandom.js';
import {
  applyGeometricAugmentation,
  augmentGeometric,
  drawGeometricAugmentation,
  type GeometricDraw,
} from '../../../src/training/augment/geometricAugmentation.js';
import { roundHalfToEven } from '../../../src/training/augment/affineNearest.js';

const NONE: GeometricDraw = { rotationDegrees: null, translation: null, flipHorizontal: false, flipVertical: false };
const NEVER = GeometricAugmentation.parse({
  rotationProbability: 0,
  translationProbability: 0,
  horizontalFlipProbability: 0,
  verticalFlipProbability: 0,
});
const ALWAYS = GeometricAugmentation.parse({
  rotationProbability: 1,
  translationProbability: 1,
  horizontalFlipProbability: 1,
  verticalFlipProbability: 1,
});

/** Distinct non-zero values everywhere: value = 1 + channel·1000 + row·S + column. */
function sample(size: number): { pixels: Float32Array; mask: Float32Array } {
  const pixels = new Float32Array(3 * size * size).map((_, k) => 1 + Math.floor(k / (size * size)) * 1000 + (k % (size * size)));
  const mask = new Float32Array(size * size);
  return { pixels, mask };
}

/** Value at (channel, row, column) of CHW planes. */
const at = (planes: Float32Array, size: number, ch: number, i: number, j: number): number => planes[ch * size * size + i * size + j]!;

/** Checks out[ch][i][j] = in[ch][source(i, j)] (or 0 where source is null) for every channel. */
function expectMapping(
  input: Float32Array,
  output: Float32Array,
  size: number,
  channels: number,
  source: (i: number, j: number) => [number, number] | null,
): void {
  for (let ch = 0; ch < channels; ch++) {
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) {
        const from = source(i, j);
        const expected = from === null ? 0 : at(input, size, ch, from[0], from[1]);
        if (at(output, size, ch, i, j) !== expected) {
          throw new Error(`channel ${ch} (${i}, ${j}): got ${at(output, size, ch, i, j)}, expected ${expected}`);
        }
      }
    }
  }
}

describe('geometric augmentation: single steps', () => {
  it('flips are exact mirrors of image and mask', () => {
    const size = 5;
    const { pixels, mask } = sample(size);
    mask[1 * size + 3] = 1;
    const h = applyGeometricAugmentation(pixels, mask, size, { ...NONE, flipHorizontal: true });
    expectMapping(pixels, h.pixels, size, 3, (i, j) => [i, size - 1 - j]);
    expectMapping(mask, h.mask, size, 1, (i, j) => [i, size - 1 - j]);
    const v = applyGeometricAugmentation(pixels, mask, size, { ...NONE, flipVertical: true });
    expectMapping(pixels, v.pixels, size, 3, (i, j) => [size - 1 - i, j]);
    expectMapping(mask, v.mask, size, 1, (i, j) => [size - 1 - i, j]);
  });

  it('rotates by +90° counter-clockwise (numpy rot90: out[i][j] = in[j][S−1−i]), even and odd sizes', () => {
    for (const size of [4, 5]) {
      const { pixels, mask } = sample(size);
      mask[0 * size + 1] = 1;
      const out = applyGeometricAugmentation(pixels, mask, size, { ...NONE, rotationDegrees: 90 });
      expectMapping(pixels, out.pixels, size, 3, (i, j) => [j, size - 1 - i]);
      expectMapping(mask, out.mask, size, 1, (i, j) => [j, size - 1 - i]);
      // Top-row content ends up in the left column: (0, 1) → (S−2, 0).
      expect(at(out.mask, size, 0, size - 2, 0)).toBe(1);
      const back = applyGeometricAugmentation(pixels, mask, size, { ...NONE, rotationDegrees: -90 });
      expectMapping(pixels, back.pixels, size, 3, (i, j) => [size - 1 - j, i]);
      const half = applyGeometricAugmentation(pixels, mask, size, { ...NONE, rotationDegrees: 180 });
      expectMapping(pixels, half.pixels, size, 3, (i, j) => [size - 1 - i, size - 1 - j]);
    }
  });

  it('rotates by 45° with nearest sampling about the centre and zero-fills the corners', () => {
    const size = 7;
    const { pixels, mask } = sample(size);
    const out = applyGeometricAugmentation(pixels, mask, size, { ...NONE, rotationDegrees: 45 });
    // The centre pixel stays; the corners map outside the frame (distance 3√2 along a diagonal → 6 on an axis).
    expect(at(out.pixels, size, 1, 3, 3)).toBe(at(pixels, size, 1, 3, 3));
    for (const [i, j] of [[0, 0], [0, 6], [6, 0], [6, 6]] as const) expect(at(out.pixels, size, 0, i, j)).toBe(0);
    // Output (row 3, column 5) is x = 2, y = 0 from the centre; the source is (cos·2, sin·2) = (1.41, 1.41) → column 4, row 4.
    expect(at(out.pixels, size, 2, 3, 5)).toBe(at(pixels, size, 2, 4, 4));
  });

  it('translates by whole pixels (content right and down) with zero fill where nothing maps', () => {
    const size = 6;
    const { pixels, mask } = sample(size);
    mask[2 * size + 2] = 1;
    const out = applyGeometricAugmentation(pixels, mask, size, { ...NONE, translation: { dx: 2, dy: -1 } });
    const source = (i: number, j: number): [number, number] | null => {
      const [r, c] = [i + 1, j - 2];
      return r < size && c >= 0 ? [r, c] : null;
    };
    expectMapping(pixels, out.pixels, size, 3, source);
    expectMapping(mask, out.mask, size, 1, source);
    expect(at(out.mask, size, 0, 1, 4)).toBe(1);
  });

  it('never mutates its inputs and returns new arrays even for the identity', () => {
    const size = 6;
    const { pixels, mask } = sample(size);
    mask[7] = 1;
    const [pixelsCopy, maskCopy] = [pixels.slice(), mask.slice()];
    const all: GeometricDraw = { rotationDegrees: 17, translation: { dx: 1, dy: 2 }, flipHorizontal: true, flipVertical: true };
    applyGeometricAugmentation(pixels, mask, size, all);
    const identity = applyGeometricAugmentation(pixels, mask, size, NONE);
    expect(pixels).toEqual(pixelsCopy);
    expect(mask).toEqual(maskCopy);
    expect(identity.pixels).toEqual(pixels);
    expect(identity.pixels).not.toBe(pixels);
    expect(identity.mask).not.toBe(mask);
  });

  it('rounds half to even like nearbyint', () => {
    expect([-1.5, -0.5, 0.5, 1.5, 2.5, 2.4, -2.6].map(roundHalfToEven)).toEqual([-2, -0, 0, 2, 2, 2, -3]);
  });
});

describe('augmentGeometric (drawn from the seed)', () => {
  const size = 16;
  const settings = GeometricAugmentation.parse({});

  it('is the identity with every probability 0', () => {
    const { pixels, mask } = sample(size);
    const out = augmentGeometric(pixels, mask, size, SeededRandom.fromSeed(1), NEVER);
    expect(out.pixels).toEqual(pixels);
    expect(out.mask).toEqual(mask);
  });

  it('repeats with the same seed and differs with another', () => {
    const { pixels, mask } = sample(size);
    const run = (seed: number) => augmentGeometric(pixels, mask, size, SeededRandom.fromSeed(seed), ALWAYS);
    expect(run(3).pixels).toEqual(run(3).pixels);
    expect(run(3).pixels).not.toEqual(run(4).pixels);
  });

  it('moves a painted mask pixel together with its image pixel', () => {
    const { pixels, mask } = sample(size);
    const [row, column] = [6, 9];
    mask[row * size + column] = 1;
    const marked = at(pixels, size, 0, row, column);
    const rng = SeededRandom.fromSeed(111);
    let seen = 0;
    for (let t = 0; t < 50; t++) {
      const out = augmentGeometric(pixels, mask, size, rng, settings);
      for (let k = 0; k < size * size; k++) {
        // Wherever the mask is set, every image channel holds the marked pixel's values, and vice versa.
        expect(out.mask[k] === 1).toBe(out.pixels[k] === marked);
        if (out.mask[k] === 1) {
          expect(out.pixels[size * size + k]).toBe(marked + 1000);
          seen++;
        }
      }
    }
    expect(seen).toBeGreaterThan(25);
  });

  it('draws translations as whole pixels within ±round(t·S) and angles within ±max', () => {
    const rng = SeededRandom.fromSeed(9);
    const limit = roundHalfToEven(settings.maxTranslation * size);
    let rotations = 0;
    for (let t = 0; t < 400; t++) {
      const draw = drawGeometricAugmentation(rng, size, settings);
      if (draw.rotationDegrees !== null) {
        rotations++;
        expect(Math.abs(draw.rotationDegrees)).toBeLessThanOrEqual(settings.maxRotationDegrees);
      }
      if (draw.translation) {
        for (const shift of [draw.translation.dx, draw.translation.dy]) {
          expect(Number.isInteger(shift)).toBe(true);
          expect(Math.abs(shift)).toBeLessThanOrEqual(limit);
        }
      }
    }
    expect(Math.abs(rotations - 200)).toBeLessThan(50);
  });

  it('rejects arrays that do not match the size', () => {
    const { pixels, mask } = sample(4);
    expect(() => augmentGeometric(pixels, mask, 5, SeededRandom.fromSeed(0), settings)).toThrow(AaclipError);
    expect(() => augmentGeometric(pixels, mask.subarray(1), 4, SeededRandom.fromSeed(0), settings)).toThrow(/augmentGeometric: mask/);
  });
});
