// The pipeline in steps: a detector made from prebuilt models (built, copied as a cache would hand
// them back, loaded) gives the same maps as one built from weights; prebuilt models are checked
// against the settings by their input/output names; prompt sets are checked when a detector is made.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AnomalyDetector,
  ClipTokenizer,
  DETECTOR_IO,
  buildDetectorModels,
  loadDetectorSessions,
  parseModelConfig,
  registerBackend,
  unregisterBackend,
  type Backend,
  type Detection,
  type DetectorModel,
  type ModelBytes,
  type PromptSet,
  type Tensor,
  type TensorMap,
} from '@aaclip/core';
import { goldenFloats, loadFixture } from '../../../../test-support/fixtureLoader.js';
import { fixtureFile, vocabPath } from '../../../../test-support/fixture.js';
import { maxAbsError } from '@aaclip/core/testing';

const BACKEND = 'onnxruntime-sessions-test-backend';
const SIZE = 48;
const CLASS = 'dark bottle';
const dirs: string[] = [];

/** onnxruntime-node sessions that report their real input and output names. */
const ortBackend: Backend = {
  name: BACKEND,
  devices: ['cpu'],
  async init() {},
  async createSession(model: ModelBytes) {
    const dir = mkdtempSync(path.join(tmpdir(), 'aaclip-prebuilt-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'model.onnx'), model.model);
    for (const file of model.externalData) writeFileSync(path.join(dir, file.path), file.data);
    const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'));
    return {
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      async run(feeds: Readonly<Record<string, Tensor>>) {
        const ortFeeds = Object.fromEntries(
          Object.entries(feeds).map(([name, t]) => [name, new ort.Tensor(t.dtype === 'I64' ? 'int64' : 'float32', t.data as Float32Array | BigInt64Array, [...t.shape])]),
        );
        const out = await session.run(ortFeeds);
        return Object.fromEntries(Object.entries(out).map(([name, v]) => [name, { dtype: 'F32', shape: v.dims.map(Number), data: v.data as Float32Array } satisfies Tensor]));
      },
      dispose: () => session.release(),
    };
  },
};

let tokenizer: ClipTokenizer | undefined;
async function detectorModel(adapters: TensorMap | null): Promise<DetectorModel> {
  tokenizer ??= await ClipTokenizer.fromGzippedBpe(new Uint8Array(readFileSync(vocabPath)));
  const { model: config, preprocess } = parseModelConfig(JSON.parse(readFileSync(fixtureFile('open_clip_config.json'), 'utf8')), 'open_clip_config.json');
  return { config, preprocess, weights: loadFixture().clip, adapters, tokenizer };
}

/** A model's bytes copied into fresh buffers, as read back from files or a cache. */
const copied = (m: ModelBytes): ModelBytes => ({ model: m.model.slice(), externalData: m.externalData.map((f) => ({ path: f.path, data: f.data.slice() })) });

function goldenPixels(): Float32Array[] {
  const all = goldenFloats(loadFixture(), 'pixel_values');
  const plane = 3 * SIZE * SIZE;
  return [0, 1, 2].map((i) => all.slice(i * plane, (i + 1) * plane));
}

async function detectWith(detector: AnomalyDetector): Promise<Detection[]> {
  try {
    return await detector.detect(goldenPixels(), CLASS);
  } finally {
    await detector.dispose();
  }
}

function largestMapDifference(a: readonly Detection[], b: readonly Detection[]): number {
  expect(a).toHaveLength(b.length);
  return Math.max(
    ...a.flatMap((d, i) => [
      maxAbsError(d.anomalyMap, b[i]!.anomalyMap),
      ...d.levelMaps.map((m, k) => maxAbsError(m, b[i]!.levelMaps[k]!)),
      Math.abs(d.imageScore - b[i]!.imageScore),
    ]),
  );
}

registerBackend(BACKEND, () => ortBackend);
afterAll(() => {
  unregisterBackend(BACKEND);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('a detector from prebuilt models', () => {
  const settings = { imageSize: SIZE };
  for (const [label, adapted, zeroShot] of [['AA-CLIP (adapters)', true, undefined], ["zero-shot 'surgery'", false, 'surgery']] as const) {
    it(`${label}: the same maps as the detector built from the weights`, async () => {
      const model = await detectorModel(adapted ? loadFixture().adapters : null);
      const options = { settings, ...(zeroShot ? { zeroShot } : {}) };
      const fromWeights = await detectWith(await AnomalyDetector.create(model, { ...options, backend: BACKEND, batchSize: 3 }));

      const built = buildDetectorModels(model, options);
      expect(built.tower).toBe(adapted ? 'adapted' : 'surgery');
      const { config, preprocess } = model;
      const prebuilt = await AnomalyDetector.fromModels(
        { vision: copied(built.vision), text: copied(built.text), config, preprocess, tokenizer: model.tokenizer },
        { settings, backend: BACKEND, batchSize: 3 },
      );
      const fromModels = await detectWith(prebuilt);
      const difference = largestMapDifference(fromModels, fromWeights);
      console.log(`${label}: prebuilt vs built from weights, max abs difference ${difference.toExponential(2)}`);
      expect(difference).toBe(0);
      // And the built detector's maps are AA-CLIP's (golden anomaly maps, README tolerance 1e-3).
      if (adapted) {
        const golden = goldenFloats(loadFixture(), 'anomaly_map');
        const plane = SIZE * SIZE;
        fromModels.forEach((d, i) => expect(maxAbsError(d.anomalyMap, golden.subarray(i * plane, (i + 1) * plane))).toBeLessThan(1e-3));
      }
    });
  }

  it('loads sessions in a step of their own and makes the detector from them', async () => {
    const model = await detectorModel(loadFixture().adapters);
    const built = buildDetectorModels(model, { settings });
    const sessions = await loadDetectorSessions(built, { backend: BACKEND });
    expect(sessions.vision.inputNames).toEqual([DETECTOR_IO.visionInput]);
    expect(sessions.text.outputNames).toEqual([DETECTOR_IO.textOutput]);
    const detector = AnomalyDetector.fromSessions(sessions, model, { settings });
    const fromWeights = await detectWith(await AnomalyDetector.create(model, { settings, backend: BACKEND }));
    expect(largestMapDifference(await detectWith(detector), fromWeights)).toBe(0);
  });

  it('refuses models built for other settings, naming the model and the output', async () => {
    const model = await detectorModel(loadFixture().adapters);
    const built = buildDetectorModels(model, { settings });
    const parts = { vision: built.vision, text: built.text, config: model.config, preprocess: model.preprocess, tokenizer: model.tokenizer };
    await expect(AnomalyDetector.fromModels(parts, { settings: { ...settings, levels: [6, 12, 18] }, backend: BACKEND })).rejects.toThrow(
      /^vision model: has an output "seg_tokens_3": it was built for more levels than the settings' 3/,
    );
    await expect(AnomalyDetector.fromModels(parts, { settings: { ...settings, levels: [4, 8, 12, 18, 24] }, backend: BACKEND })).rejects.toThrow(
      /^vision model: has no output "seg_tokens_4"/,
    );
    await expect(AnomalyDetector.fromModels({ ...parts, vision: built.text, text: built.vision }, { settings, backend: BACKEND })).rejects.toThrow(
      /^vision model: has no input "pixel_values"/,
    );
  });
});

describe('prompt sets are checked when a detector is made', () => {
  const good: PromptSet = { normalStates: ['a {}'], abnormalStates: ['a broken {}'], templates: ['a photo of {}.'] };
  const cases: [string, PromptSet, RegExp][] = [
    ['a state without "{}"', { ...good, normalStates: ['flawless'] }, /^promptSet: normalStates\.0: must contain "\{\}" exactly once/],
    ['a template without "{}"', { ...good, templates: ['a photo.'] }, /^promptSet: templates\.0: must contain "\{\}" exactly once/],
    ['normal == abnormal states', { ...good, abnormalStates: ['a {}'] }, /^promptSet: abnormalStates\.0: "a \{\}" is also a normal state/],
    ['no abnormal states', { ...good, abnormalStates: [] }, /^promptSet: abnormalStates: /],
  ];

  it.each(cases)('%s: refused by create and by fromModels before anything is loaded', async (_, promptSet, message) => {
    const model = await detectorModel(loadFixture().adapters);
    let loaded = 0;
    const counting: Backend = { ...ortBackend, name: `${BACKEND}-counting`, createSession: async (m) => (loaded++, ortBackend.createSession(m, { device: 'cpu' })) };
    registerBackend(counting.name, () => counting);
    try {
      await expect(AnomalyDetector.create(model, { settings: { imageSize: SIZE }, backend: counting.name, promptSet })).rejects.toThrow(message);
      const empty: ModelBytes = { model: new Uint8Array(0), externalData: [] };
      const parts = { vision: empty, text: empty, config: model.config, preprocess: model.preprocess, tokenizer: model.tokenizer };
      await expect(AnomalyDetector.fromModels(parts, { settings: { imageSize: SIZE }, backend: counting.name, promptSet })).rejects.toThrow(message);
      expect(loaded).toBe(0);
    } finally {
      unregisterBackend(counting.name);
    }
  });

  it('the default and a valid set are accepted', async () => {
    const model = await detectorModel(loadFixture().adapters);
    const detector = await AnomalyDetector.create(model, { settings: { imageSize: SIZE }, backend: BACKEND, promptSet: good });
    expect(await detector.anchors(CLASS)).toHaveLength(2 * model.config.embed_dim);
    await detector.dispose();
  });

  it('a preprocess override with an unknown or unsupported value is refused naming it', async () => {
    const model = await detectorModel(loadFixture().adapters);
    await expect(
      AnomalyDetector.create(model, { settings: { imageSize: SIZE }, backend: BACKEND, preprocess: { interpolation: 'lanczos' as 'bicubic' } }),
    ).rejects.toThrow(/^preprocess: interpolation: /);
  });
});
