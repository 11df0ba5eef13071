// The domain is given once: the evaluation takes it from the detector's settings; given to both,
// they must agree, or the evaluation is refused naming both before anything is scored or written.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Domain, RawImage } from '@aaclip/core';
import { evaluateDataset } from '@aaclip/eval';
import type { EvaluationClass, MapDetector } from '@aaclip/eval';

const SIZE = 4;
let work: string;
let cls: EvaluationClass;

// A 1×1 grey PNG (valid, so decoding succeeds when scoring does start).
const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==', 'base64');

/** A constant-map detector for `domain` that counts its calls. */
function detectorFor(domain: Domain | undefined, calls: { n: number }): MapDetector {
  return {
    settings: { imageSize: SIZE, ...(domain ? { domain } : {}) },
    async detect(images: readonly RawImage[]) {
      calls.n++;
      return images.map(() => ({ anomalyMap: new Float32Array(SIZE * SIZE).fill(0.5), imageScore: 0.25 }));
    },
  };
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-evaluation-domain-'));
  const imagePath = path.join(work, 'good.png');
  await writeFile(imagePath, PNG_1X1);
  cls = { name: 'thing', promptName: 'thing', samples: [{ imagePath, maskPath: null, label: 0 }] };
});
afterAll(async () => rm(work, { recursive: true, force: true }));

describe('the evaluation domain', () => {
  it("is the detector's when the evaluation is given none", async () => {
    const calls = { n: 0 };
    const result = await evaluateDataset({ detector: detectorFor('medical', calls), classes: [cls], outDir: path.join(work, 'from-detector'), gallerySize: 0, aupro: false });
    expect(result.classes[0]!.domain).toBe('medical');
    expect(calls.n).toBe(1);
  });

  it('is accepted when both give the same one', async () => {
    const result = await evaluateDataset({ detector: detectorFor('industrial', { n: 0 }), domain: 'industrial', classes: [cls], outDir: path.join(work, 'same'), gallerySize: 0, aupro: false });
    expect(result.classes[0]!.domain).toBe('industrial');
  });

  it('is refused naming both when they differ, for a detector given or made lazily, before scoring or writing', async () => {
    for (const lazy of [false, true]) {
      const calls = { n: 0 };
      const outDir = path.join(work, `mismatch-${lazy}`);
      const detector = detectorFor('medical', calls);
      await expect(
        evaluateDataset({ detector: lazy ? async () => detector : detector, domain: 'industrial', classes: [cls], outDir, gallerySize: 0, aupro: false }),
      ).rejects.toThrow(/^domain: the evaluation's domain "industrial" differs from the detector's settings\.domain "medical"/);
      expect(calls.n).toBe(0);
      expect(existsSync(outDir)).toBe(false);
    }
  });

  it('is refused when neither gives one', async () => {
    await expect(evaluateDataset({ detector: detectorFor(undefined, { n: 0 }), classes: [cls], outDir: path.join(work, 'none'), gallerySize: 0 })).rejects.toThrow(/^domain: no domain/);
  });

  it('a detector without a domain keeps the one given to the evaluation', async () => {
    const result = await evaluateDataset({ detector: detectorFor(undefined, { n: 0 }), domain: 'medical', classes: [cls], outDir: path.join(work, 'given'), gallerySize: 0, aupro: false });
    expect(result.classes[0]!.domain).toBe('medical');
  });
});
