import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImageFile } from '@aaclip/node-io';
import { ClassEvaluator } from '@aaclip/eval';
import { sharedDir } from '../../../test-support/fixture.js';

// The reference resizes ground-truth masks with Pillow's Resize(NEAREST) before its pixel metrics;
// eval's masks must match it pixel for pixel or every pixel metric drifts.
const nearestDir = path.join(sharedDir, 'fixtures/resize-nearest');

/** A decoded picture as 0/1: any colour channel non-zero. */
async function binary(file: string): Promise<{ width: number; height: number; bits: Uint8Array }> {
  const image = await decodeImageFile(file);
  const colour = image.channels === 2 || image.channels === 4 ? image.channels - 1 : image.channels;
  const bits = new Uint8Array(image.width * image.height);
  for (let p = 0; p < bits.length; p++) {
    for (let c = 0; c < colour; c++) if (image.data[p * image.channels + c] !== 0) bits[p] = 1;
  }
  return { width: image.width, height: image.height, bits };
}

describe('eval\'s ground-truth masks', () => {
  it('are resized as Pillow\'s NEAREST: every pixel of every resize-nearest case', async () => {
    const names = readdirSync(nearestDir);
    const inputs = names.filter((n) => /^mask_\d+x\d+\.png$/.test(n));
    expect(inputs.length).toBeGreaterThanOrEqual(8);
    for (const input of inputs) {
      const output = names.find((n) => n.startsWith(input.replace('.png', '_to_')))!;
      const expected = await binary(path.join(nearestDir, output));
      const size = expected.width;
      expect(expected.height, output).toBe(size);
      const evaluator = new ClassEvaluator({ className: 'masks', domain: 'industrial', width: size, height: size, capacity: 1 });
      evaluator.add({
        id: input,
        map: new Float32Array(size * size),
        imageScore: 0,
        label: 1,
        mask: await decodeImageFile(path.join(nearestDir, input)),
      });
      const mask = evaluator.mask(0);
      const wrong = expected.bits.reduce((n, b, i) => n + (b !== mask[i] ? 1 : 0), 0);
      expect(wrong, `${input} → ${size}`).toBe(0);
    }
  });
});
