import { describe, expect, it } from 'vitest';
import { AaclipError, type Detection, type RawImage } from '@aaclip/core';
import { DetectBatcher, type ImageDetector } from '../src/index.js';

/** An image whose single pixel value names it, so a detection can say which image it was for. */
const image = (id: number): RawImage => ({ width: 1, height: 1, channels: 1, bitDepth: 8, data: new Uint8Array([id]) });

/** Records each call; "scores" an image with its id; fails any call holding image 13. */
function recordingDetector(): ImageDetector & { calls: { ids: number[]; className: string }[] } {
  const calls: { ids: number[]; className: string }[] = [];
  return {
    calls,
    async detect(images, className) {
      const ids = images.map((i) => i.data[0]!);
      calls.push({ ids, className });
      await new Promise((r) => setTimeout(r, 5));
      if (ids.includes(13)) throw new AaclipError('unlucky image');
      return ids.map((id): Detection => ({ imageSize: 1, anomalyMap: new Float32Array([id]), levelMaps: [], imageScore: id, pixelMax: id }));
    },
  };
}

describe('DetectBatcher', () => {
  it('runs one call at a time, putting the waiting images of one class together, at most batchSize', async () => {
    const detector = recordingDetector();
    const batcher = new DetectBatcher(detector, 3);
    const results = await Promise.all([1, 2, 3, 4, 5].map((id) => batcher.detect(image(id), id === 4 ? 'screw' : 'bottle')));
    expect(results.map((d) => d.imageScore)).toEqual([1, 2, 3, 4, 5]);
    // The first image starts a call alone; the rest waited and go in batches of their class.
    expect(detector.calls).toEqual([
      { ids: [1], className: 'bottle' },
      { ids: [2, 3, 5], className: 'bottle' },
      { ids: [4], className: 'screw' },
    ]);
  });

  it('scores a failing batch one by one, so only the image at fault fails', async () => {
    const detector = recordingDetector();
    const batcher = new DetectBatcher(detector, 4);
    const settled = await Promise.allSettled([7, 8, 13, 9].map((id) => batcher.detect(image(id), 'bottle')));
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value.imageScore : (s.reason as Error).message))).toEqual([7, 8, 'unlucky image', 9]);
    expect(detector.calls.map((c) => c.ids)).toEqual([[7], [8, 13, 9], [8], [13], [9]]);
  });
});
