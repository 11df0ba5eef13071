// batchSize really batches: the vision session is fed [batch, 3, S, S] (the last batch smaller),
// and the maps equal those of batch 1 within float tolerance.
import { describe, expect, it } from 'vitest';
import { AnomalyDetector, buildDetectorModels, loadDetectorSessions, type BackendSession } from '@aaclip/core';
import { maxAbsError } from '@aaclip/core/testing';
import { decodeImageFile, loadModelFiles } from '@aaclip/backend-node';
import { fixtureFile, vocabPath } from '../../../test-support/fixture.js';

const IMAGES = ['img0.png', 'img1.png', 'img2.png', 'img0.png', 'img2.png'].map((f) => fixtureFile(`images/${f}`));

describe('vision batching', () => {
  it('feeds the vision model batchSize images per run and gives the maps of batch 1', async () => {
    const model = await loadModelFiles({ modelConfig: fixtureFile('open_clip_config.json'), weights: fixtureFile('clip.safetensors'), adapters: [fixtureFile('adapters.safetensors')], vocab: vocabPath });
    const built = buildDetectorModels(model, { settings: { imageSize: 48 } });
    const images = await Promise.all(IMAGES.map((f) => decodeImageFile(f)));
    const maps: Float32Array[][] = [];
    const shapes: number[][] = [];
    for (const batchSize of [1, 2]) {
      const sessions = await loadDetectorSessions(built, { backend: 'node', device: 'cpu' });
      const inner = sessions.vision;
      const recording: BackendSession = {
        inputNames: inner.inputNames,
        outputNames: inner.outputNames,
        run: (feeds) => {
          if (batchSize === 2) shapes.push([...feeds['pixel_values']!.shape]);
          return inner.run(feeds);
        },
        dispose: () => inner.dispose(),
      };
      const detector = AnomalyDetector.fromSessions({ ...sessions, vision: recording }, model, { settings: { imageSize: 48 }, batchSize });
      maps.push((await detector.detect(images, 'dark bottle')).map((d) => d.anomalyMap));
      await detector.dispose();
    }
    expect(shapes).toEqual([[2, 3, 48, 48], [2, 3, 48, 48], [1, 3, 48, 48]]);
    maps[0]!.forEach((map, i) => expect(maxAbsError(maps[1]![i]!, map)).toBeLessThan(1e-5));
  });
});
