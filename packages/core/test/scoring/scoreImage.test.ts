import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureTensors } from '../../../../test-support/fixtureLoader.js';
import type { TensorMap } from '../../src/tensor/tensor.js';
import { scoreImage } from '../../src/scoring/scoreImage.js';
import { maxAbsError } from '@aaclip/core/testing';

// The fixture: 3 images at 48×48, patch 8 → 6×6 grid, embed 48, industrial blur (kernel 7, σ 1).
const IMAGES = 3;
const GRID = 6;
const EMBED = 48;
const SIZE = 48;
const INDUSTRIAL_BLUR = { kernelSize: 7, sigma: 1 };

let golden: TensorMap;

function f32(name: string, shape: number[]): Float32Array {
  const t = golden.get(name);
  if (!t) throw new Error(`golden.safetensors has no ${name}`);
  expect(t.dtype).toBe('F32');
  expect(t.shape).toEqual(shape);
  return t.data as Float32Array;
}

beforeAll(() => {
  golden = fixtureTensors('golden.safetensors');
});

describe('scoreImage against the reference (golden maps and scores)', () => {
  it('level maps and the anomaly map within 1e-3, image scores within 1e-5', () => {
    const anchors = f32('text_anchors', [EMBED, 2]);
    const det = f32('det_token', [IMAGES, EMBED]);
    const seg = [0, 1, 2, 3].map((l) => f32(`seg_tokens_${l}`, [IMAGES, GRID * GRID, EMBED]));
    const levelGold = [0, 1, 2, 3].map((l) => f32(`level_map_${l}`, [IMAGES, SIZE, SIZE]));
    const mapGold = f32('anomaly_map', [IMAGES, SIZE, SIZE]);
    const scoreGold = f32('image_score', [IMAGES]);
    const tokenStride = GRID * GRID * EMBED;
    const mapStride = SIZE * SIZE;
    const maxErr = { level: 0, map: 0, score: 0 };
    for (let i = 0; i < IMAGES; i++) {
      const result = scoreImage({
        segTokens: seg.map((s) => s.subarray(i * tokenStride, (i + 1) * tokenStride)),
        detToken: det.subarray(i * EMBED, (i + 1) * EMBED),
        anchors,
        embed: EMBED,
        grid: GRID,
        imageSize: SIZE,
        blur: INDUSTRIAL_BLUR,
        similarityScale: 100,
      });
      expect(result.levelMaps).toHaveLength(4);
      for (let l = 0; l < 4; l++) {
        const gold = levelGold[l]!.subarray(i * mapStride, (i + 1) * mapStride);
        maxErr.level = Math.max(maxErr.level, maxAbsError(result.levelMaps[l]!, gold));
      }
      const goldMap = mapGold.subarray(i * mapStride, (i + 1) * mapStride);
      maxErr.map = Math.max(maxErr.map, maxAbsError(result.anomalyMap, goldMap));
      maxErr.score = Math.max(maxErr.score, Math.abs(result.imageScore - scoreGold[i]!));
      expect(result.pixelMax).toBe(Math.max(...result.anomalyMap));
    }
    console.info(
      `scoring parity: level maps max |Δ| ${maxErr.level.toExponential(3)}, anomaly map ${maxErr.map.toExponential(3)}, image score ${maxErr.score.toExponential(3)}`,
    );
    expect(maxErr.level).toBeLessThanOrEqual(1e-3);
    expect(maxErr.map).toBeLessThanOrEqual(1e-3);
    expect(maxErr.score).toBeLessThanOrEqual(1e-5);
  });

  it('names the level at fault when token counts do not match the grid', () => {
    const tokens = new Float32Array(GRID * GRID * EMBED);
    expect(() =>
      scoreImage({
        segTokens: [tokens, new Float32Array(10)],
        detToken: new Float32Array(EMBED),
        anchors: new Float32Array(EMBED * 2),
        embed: EMBED,
        grid: GRID,
        imageSize: SIZE,
        blur: INDUSTRIAL_BLUR,
        similarityScale: 100,
      }),
    ).toThrow(/^segTokens\[1\]: patch tokens: have 10 values/);
  });
});
