// What AnomalyDetector.create hands a backend: fused attention exactly when the backend prefers it
// for the device (or the caller asks), and external data that are the weights' own memory.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AnomalyDetector,
  ClipTokenizer,
  parseModelConfig,
  registerBackend,
  unregisterBackend,
  type Backend,
  type DetectorModel,
  type ModelBytes,
  type ModelPreferences,
} from '@aaclip/core';
import { loadFixture } from '../../../../test-support/fixtureLoader.js';
import { fixtureFile, vocabPath } from '../../../../test-support/fixture.js';
import { hasOp } from '../../../../test-support/onnxReader.js';

const BACKEND = 'recording-test-backend';

/** A backend that records the models it is given and runs nothing. */
function recordingBackend(preferences?: (device: string) => ModelPreferences): { backend: Backend; models: ModelBytes[] } {
  const models: ModelBytes[] = [];
  const backend: Backend = {
    name: BACKEND,
    devices: ['cpu', 'gpu'],
    async init() {},
    async createSession(model) {
      models.push(model);
      return { inputNames: [], outputNames: [], run: async () => ({}), dispose: async () => {} };
    },
    ...(preferences ? { modelPreferences: preferences } : {}),
  };
  return { backend, models };
}

let tokenizer: ClipTokenizer | undefined;
/** The fixture as `aaclip detect` reads it (open_clip_config.json: the native 32-pixel config). */
async function detectorModel(): Promise<DetectorModel> {
  tokenizer ??= await ClipTokenizer.fromGzippedBpe(new Uint8Array(readFileSync(vocabPath)));
  const fixture = loadFixture();
  const { model: config, preprocess } = parseModelConfig(JSON.parse(readFileSync(fixtureFile('open_clip_config.json'), 'utf8')), 'open_clip_config.json');
  return { config, preprocess, weights: fixture.clip, adapters: fixture.adapters, tokenizer };
}

/** Whether the serialised model has a fused attention node. */
const usesFusedAttention = (model: ModelBytes): boolean => hasOp(model.model, 'MultiHeadAttention');

afterEach(() => unregisterBackend(BACKEND));

describe('AnomalyDetector.create and the backend', () => {
  it('builds fused attention for a device whose backend prefers it, plain ops for the others', async () => {
    const { backend, models } = recordingBackend((device) => ({ fusedAttention: device === 'cpu' }));
    registerBackend(BACKEND, () => backend);
    const settings = { imageSize: loadFixture().settings.imageSize };
    await AnomalyDetector.create(await detectorModel(), { backend: BACKEND, device: 'cpu', settings });
    await AnomalyDetector.create(await detectorModel(), { backend: BACKEND, device: 'gpu', settings });
    expect(models.map(usesFusedAttention)).toEqual([true, true, false, false]);
  });

  it('lets the caller override the preference, and builds plain ops for a backend that states none', async () => {
    const preferring = recordingBackend(() => ({ fusedAttention: true }));
    registerBackend(BACKEND, () => preferring.backend);
    const settings = { imageSize: loadFixture().settings.imageSize };
    await AnomalyDetector.create(await detectorModel(), { backend: BACKEND, device: 'cpu', settings, fusedAttention: false });
    expect(preferring.models.map(usesFusedAttention)).toEqual([false, false]);

    const silent = recordingBackend();
    unregisterBackend(BACKEND); // another factory under the same name is refused
    registerBackend(BACKEND, () => silent.backend);
    await AnomalyDetector.create(await detectorModel(), { backend: BACKEND, device: 'cpu', settings });
    expect(silent.models.map(usesFusedAttention)).toEqual([false, false]);
  });

  it('hands over external data that view the weights instead of copies', async () => {
    const { backend, models } = recordingBackend();
    registerBackend(BACKEND, () => backend);
    const model = await detectorModel();
    await AnomalyDetector.create(model, { backend: BACKEND, device: 'cpu', settings: { imageSize: loadFixture().settings.imageSize } });
    // The fixture's only initializer of 1 MiB or more is the text token embedding (49408 × 48 floats).
    const external = models.flatMap((m) => m.externalData);
    expect(external).toHaveLength(1);
    const tokenEmbedding = model.weights.get('token_embedding.weight')!.data;
    expect(external[0]!.data.buffer).toBe(tokenEmbedding.buffer);
    expect(external[0]!.data.byteOffset).toBe(tokenEmbedding.byteOffset);
    expect(external[0]!.data.byteLength).toBe(tokenEmbedding.byteLength);
  });
});
