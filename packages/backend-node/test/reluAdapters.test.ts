// The reference's --relu adapter variant through the library: the fixture's files loaded as a user
// would (loadModelFiles), an AnomalyDetector on the node backend, the golden images — the anchors,
// maps and scores of golden_relu.safetensors at the fixture README's tolerances.
import { describe, expect, it } from 'vitest';
import { AnomalyDetector } from '@aaclip/core';
import { maxAbsError } from '@aaclip/core/testing';
import { loadModelFiles } from '@aaclip/backend-node';
import { fixtureFile, vocabPath } from '../../../test-support/fixture.js';
import { fixtureTensors } from '../../../test-support/fixtureLoader.js';

const ANCHOR_TOLERANCE = 1e-4;
const MAP_TOLERANCE = 1e-3;
const IMAGE_SCORE_TOLERANCE = 1e-5;
const SIZE = 48;

describe('AnomalyDetector with adapters_relu.safetensors', () => {
  it('gives golden_relu’s anchors, anomaly maps and image scores', async () => {
    const model = await loadModelFiles({
      modelConfig: fixtureFile('open_clip_config.json'),
      weights: fixtureFile('clip.safetensors'),
      adapters: [fixtureFile('adapters_relu.safetensors')],
      vocab: vocabPath,
    });
    const detector = await AnomalyDetector.create(model, { backend: 'node', device: 'cpu', settings: { imageSize: SIZE }, batchSize: 3 });
    try {
      const golden = fixtureTensors('golden_relu.safetensors');
      const floats = (name: string) => golden.get(name)!.data as Float32Array;
      expect(maxAbsError(await detector.anchors('dark bottle'), floats('text_anchors'))).toBeLessThan(ANCHOR_TOLERANCE);
      const pixels = fixtureTensors('golden.safetensors').get('pixel_values')!.data as Float32Array;
      const plane = 3 * SIZE * SIZE;
      const detections = await detector.detect([0, 1, 2].map((i) => pixels.slice(i * plane, (i + 1) * plane)), 'dark bottle');
      const maps = new Float32Array(3 * SIZE * SIZE);
      detections.forEach((d, i) => maps.set(d.anomalyMap, i * SIZE * SIZE));
      const mapError = maxAbsError(maps, floats('anomaly_map'));
      const scoreError = maxAbsError(Float32Array.from(detections.map((d) => d.imageScore)), floats('image_score'));
      console.log(`relu detector: anomaly map max abs error ${mapError.toExponential(2)}, image score ${scoreError.toExponential(2)}`);
      expect(mapError).toBeLessThan(MAP_TOLERANCE);
      expect(scoreError).toBeLessThan(IMAGE_SCORE_TOLERANCE);
      // The plain variant's golden maps are not these (the LeakyReLU matters).
      expect(maxAbsError(maps, fixtureTensors('golden.safetensors').get('anomaly_map')!.data as Float32Array)).toBeGreaterThan(MAP_TOLERANCE);
    } finally {
      await detector.dispose();
    }
  });
});
