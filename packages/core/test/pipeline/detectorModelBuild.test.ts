// What AnomalyDetector.create hands a backend: the rewrites and precision the device declares
// (capabilities) and the caller asks for, and external data that are the weights' own memory.
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
  type DeviceCapabilities,
} from '@aaclip/core';
import { loadFixture } from '../../../../test-support/fixtureLoader.js';
import { fixtureFile, vocabPath } from '../../../../test-support/fixture.js';
import { hasOp } from '../../../../test-support/onnxReader.js';

const BACKEND = 'recording-test-backend';

/** A backend that records the models it is given and runs nothing. */
function recordingBackend(capabilities?: (device: string) => DeviceCapabilities): { backend: Backend; models: ModelBytes[] } {
  const models: ModelBytes[] = [];
  const backend: Backend = {
    name: BACKEND,
    devices: ['cpu', 'gpu'],
    async init() {},
    async createSession(model) {
      models.push(model);
      return { inputNames: [], outputNames: [], run: async () => ({}), dispose: async () => {} };
    },
    ...(capabilities ? { capabilities } : {}),
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
  const FUSING: DeviceCapabilities = { ops: ['com.microsoft:MultiHeadAttention', 'com.microsoft:DynamicQuantizeMatMul'], precisions: ['fp32', 'int8'] };
  const PLAIN: DeviceCapabilities = { ops: [], precisions: ['fp32'] };

  it('builds fused attention for a device that declares it, plain ops for the others', async () => {
    const { backend, models } = recordingBackend((device) => (device === 'cpu' ? FUSING : PLAIN));
    registerBackend(BACKEND, () => backend);
    const settings = { imageSize: loadFixture().settings.imageSize };
    await AnomalyDetector.create(await detectorModel(), { backend: BACKEND, device: 'cpu', settings });
    await AnomalyDetector.create(await detectorModel(), { backend: BACKEND, device: 'gpu', settings });
    expect(models.map(usesFusedAttention)).toEqual([true, true, false, false]);
  });

  it('lets the caller turn rewrites off, and builds plain ops for a backend that declares nothing', async () => {
    const fusing = recordingBackend(() => FUSING);
    registerBackend(BACKEND, () => fusing.backend);
    const settings = { imageSize: loadFixture().settings.imageSize };
    await AnomalyDetector.create(await detectorModel(), { backend: BACKEND, device: 'cpu', settings, rewrites: false });
    expect(fusing.models.map(usesFusedAttention)).toEqual([false, false]);

    const silent = recordingBackend();
    unregisterBackend(BACKEND); // another factory under the same name is refused
    registerBackend(BACKEND, () => silent.backend);
    await AnomalyDetector.create(await detectorModel(), { backend: BACKEND, device: 'cpu', settings });
    expect(silent.models.map(usesFusedAttention)).toEqual([false, false]);
  });

  it('builds int8 models where the device declares int8, and refuses it naming the device where it does not', async () => {
    const { backend, models } = recordingBackend((device) => (device === 'cpu' ? FUSING : PLAIN));
    registerBackend(BACKEND, () => backend);
    const settings = { imageSize: loadFixture().settings.imageSize };
    await AnomalyDetector.create(await detectorModel(), { backend: BACKEND, device: 'cpu', settings, precision: 'int8' });
    // Vision quantised; the text tower, run once per class, stays float32.
    expect(models.map((m) => hasOp(m.model, 'DynamicQuantizeMatMul'))).toEqual([true, false]);
    await expect(AnomalyDetector.create(await detectorModel(), { backend: BACKEND, device: 'gpu', settings, precision: 'int8' })).rejects.toThrow(
      `precision: ${BACKEND}/gpu cannot run "int8" (it runs: fp32)`,
    );
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
