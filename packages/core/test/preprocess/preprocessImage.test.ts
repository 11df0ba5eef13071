import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureFile } from '../../../../test-support/fixture.js';
import { fixtureTensors } from '../../../../test-support/fixtureLoader.js';
import type { RawImage } from '../../src/image/rawImage.js';
import { preprocessImage } from '../../src/preprocess/preprocessImage.js';
import { CLIP_STD } from '../../src/preprocess/normalizeToChw.js';

const SIZE = 48;
const PLANE = SIZE * SIZE;

async function decode(name: string, grey = false): Promise<RawImage> {
  let pipeline = sharp(fixtureFile(`images/${name}`));
  if (grey) pipeline = pipeline.toColourspace('b-w');
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    channels: info.channels as RawImage['channels'],
    bitDepth: 8,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

let golden: Float32Array;

beforeAll(() => {
  const tensors = fixtureTensors('golden.safetensors');
  const t = tensors.get('pixel_values');
  if (!t) throw new Error('golden.safetensors has no pixel_values');
  expect(t.shape).toEqual([3, 3, SIZE, SIZE]);
  golden = t.data as Float32Array;
});

function compare(actual: Float32Array, index: number): { maxAbs: number; differing: number; maxLevels: number } {
  expect(actual.length).toBe(3 * PLANE);
  const base = index * 3 * PLANE;
  let maxAbs = 0;
  let differing = 0;
  let maxLevels = 0;
  for (let c = 0; c < 3; c++) {
    const level = 1 / 255 / CLIP_STD[c]!;
    for (let p = 0; p < PLANE; p++) {
      const d = Math.abs(actual[c * PLANE + p]! - golden[base + c * PLANE + p]!);
      if (d > 1e-6) differing++;
      maxAbs = Math.max(maxAbs, d);
      maxLevels = Math.max(maxLevels, d / level);
    }
  }
  return { maxAbs, differing, maxLevels };
}

describe('preprocessImage against the reference (golden pixel_values)', () => {
  it('img2 (48×48 grey, no resize) is exact, decoded as RGB or as one grey channel', async () => {
    for (const grey of [false, true]) {
      const img = await decode('img2.png', grey);
      expect(img.channels).toBe(grey ? 1 : 3);
      const { maxAbs } = compare(preprocessImage(img, SIZE), 2);
      expect(maxAbs).toBeLessThanOrEqual(1e-6);
    }
  });

  for (const [index, name] of [[0, 'img0.png'], [1, 'img1.png']] as const) {
    it(`${name} (Pillow bicubic downscale) is within one grey level at every pixel`, async () => {
      const img = await decode(name);
      const out = preprocessImage(img, SIZE);
      const { maxAbs, differing, maxLevels } = compare(out, index);
      console.info(`${name}: ${differing} of ${3 * PLANE} values differ (>1e-6), max |Δ| ${maxAbs.toExponential(3)} = ${maxLevels.toFixed(3)} grey levels`);
      // Pillow's 8-bit resampler is integer arithmetic, so a faithful port should in fact agree exactly.
      expect(differing).toBe(0);
      for (let c = 0; c < 3; c++) {
        const tol = 1 / 255 / CLIP_STD[c]! + 1e-6;
        for (let p = 0; p < PLANE; p++) {
          const d = Math.abs(out[c * PLANE + p]! - golden[index * 3 * PLANE + c * PLANE + p]!);
          if (d > tol) expect.fail(`${name} channel ${c} pixel ${p}: |Δ| ${d} > ${tol}`);
        }
      }
    });
  }
});
