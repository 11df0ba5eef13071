import { readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { sharedDir } from '../../../../test-support/fixture.js';
import { binaryMaskNearest, pillowNearestIndices, type MaskImage } from '../../src/preprocess/resizeNearestPil.js';

const nearestDir = path.join(sharedDir, 'fixtures/resize-nearest');

async function decode(file: string): Promise<MaskImage> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data: new Uint8Array(data) };
}

/** The fixture's inputs, each with Pillow's NEAREST output and its size (README table). */
function fixtureCases(): { input: string; output: string; size: number }[] {
  const names = readdirSync(nearestDir);
  return names
    .filter((n) => /^mask_\d+x\d+\.png$/.test(n))
    .map((input) => {
      const output = names.find((n) => n.startsWith(input.replace('.png', '_to_')))!;
      return { input, output, size: Number(/_to_(\d+)\.png$/.exec(output)![1]) };
    });
}

describe('binaryMaskNearest', () => {
  it('gives every pixel of Pillow\'s NEAREST resize (resize-nearest fixture)', async () => {
    const cases = fixtureCases();
    expect(cases.length).toBeGreaterThanOrEqual(8);
    for (const { input, output, size } of cases) {
      const mask = binaryMaskNearest(await decode(path.join(nearestDir, input)), size, size, input);
      const expected = binaryMaskNearest(await decode(path.join(nearestDir, output)), size, size, output);
      const wrong = expected.reduce((n, b, i) => n + (b !== mask[i] ? 1 : 0), 0);
      expect(wrong, `${input} → ${size}`).toBe(0);
    }
  });

  it('follows Pillow\'s running sum, which differs from ⌊(i + ½)·src/dst⌋ for some sizes', () => {
    const closedForm = Array.from({ length: 518 }, (_, i) => Math.floor(((2 * i + 1) * 1024) / (2 * 518)));
    const pillow = Array.from(pillowNearestIndices(1024, 518));
    expect(pillow.filter((v, i) => v !== closedForm[i]).length).toBeGreaterThan(0);
    expect(Array.from(pillowNearestIndices(4, 8))).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    expect(Array.from(pillowNearestIndices(48, 48))).toEqual(Array.from({ length: 48 }, (_, i) => i));
  });

  it('binarises any non-zero colour channel, ignores alpha, and refuses data of the wrong length', () => {
    // 4 → 2: positions 1, 3.
    expect(Array.from(binaryMaskNearest({ width: 4, height: 1, data: Uint8Array.from([0, 9, 0, 0]) }, 2, 1))).toEqual([1, 0]);
    // 2 → 5: positions 0.2, 0.6, 1.0, 1.4, 1.8.
    expect(Array.from(binaryMaskNearest({ width: 2, height: 1, data: Float32Array.from([0, 0.5]) }, 5, 1))).toEqual([0, 0, 1, 1, 1]);
    const withAlpha: MaskImage = { width: 2, height: 1, channels: 2, data: Uint8Array.from([0, 255, 7, 255]) };
    expect(Array.from(binaryMaskNearest(withAlpha, 2, 1))).toEqual([0, 1]);
    const rgb: MaskImage = { width: 2, height: 1, channels: 3, data: Uint8Array.from([0, 0, 0, 0, 0, 1]) };
    expect(Array.from(binaryMaskNearest(rgb, 2, 1))).toEqual([0, 1]);
    expect(Array.from(binaryMaskNearest(null, 3, 1))).toEqual([0, 0, 0]);
    expect(() => binaryMaskNearest({ width: 3, height: 3, data: new Uint8Array(8) }, 2, 2, 'm.png')).toThrowError('m.png: mask data has 8 values, 3×3×1 needs 9');
  });
});
