// The training-free zero-shot baselines of a detector without adapters: 'surgery' scores the
// frozen stage-1 feature CLIP's features (golden: tiny-aaclip train.safetensors) against plain
// CLIP's text anchors (golden: golden.safetensors' text_anchors_plain) by the same scoreImage path.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AaclipError,
  AnomalyDetector,
  ClipTokenizer,
  parseModelConfig,
  registerBackend,
  scoreImage,
  settingsBlur,
  unregisterBackend,
  type AaclipSettings,
  type Backend,
  type Detection,
  type DetectorModel,
  type Tensor,
  type TensorMap,
  type ZeroShotMode,
} from '@aaclip/core';
import { goldenFloats, loadFixture, fixtureTensors } from '../../../../test-support/fixtureLoader.js';
import { runOnnx } from '../graph/runOnnx.js';
import { fixtureFile, vocabPath } from '../../../../test-support/fixture.js';
import { maxAbsError } from '@aaclip/core/testing';

// README tolerances.
const TOKEN_TOLERANCE = 1e-4;
const MAP_TOLERANCE = 1e-3;
const IMAGE_SCORE_TOLERANCE = 1e-5;
const BACKEND = 'recording-onnxruntime-test-backend';
const SIZE = 48;
const GRID = 6;
const EMBED = 48;
const LEVELS = 4;

/** onnxruntime-node through the graph tests' runner; every vision run's outputs are recorded. */
function recordingBackend(visionRuns: Record<string, Float32Array>[]): Backend {
  return {
    name: BACKEND,
    devices: ['cpu'],
    async init() {},
    async createSession(model) {
      return {
        inputNames: [],
        outputNames: [],
        async run(feeds: Readonly<Record<string, Tensor>>) {
          const ortFeeds = Object.fromEntries(
            Object.entries(feeds).map(([name, t]) => [name, new ort.Tensor(t.dtype === 'I64' ? 'int64' : 'float32', t.data as Float32Array | BigInt64Array, [...t.shape])]),
          );
          const out = await runOnnx(model, ortFeeds);
          const floats = Object.fromEntries(Object.entries(out).map(([name, value]) => [name, value.data as Float32Array]));
          if ('pixel_values' in feeds) visionRuns.push(floats);
          return Object.fromEntries(
            Object.entries(out).map(([name, value]) => [name, { dtype: 'F32', shape: value.dims.map(Number), data: floats[name]! } satisfies Tensor]),
          );
        },
        async dispose() {},
      };
    },
  };
}

let tokenizer: ClipTokenizer | undefined;
/** The fixture as `aaclip detect` reads it (open_clip_config.json), with or without adapters. */
async function detectorModel(adapters: TensorMap | null): Promise<DetectorModel> {
  tokenizer ??= await ClipTokenizer.fromGzippedBpe(new Uint8Array(readFileSync(vocabPath)));
  const fixture = loadFixture();
  const { model: config, preprocess } = parseModelConfig(JSON.parse(readFileSync(fixtureFile('open_clip_config.json'), 'utf8')), 'open_clip_config.json');
  return { config, preprocess, weights: fixture.clip, adapters, tokenizer };
}

let train: TensorMap | undefined;
function trainGolden(name: string): Float32Array {
  train ??= fixtureTensors('train.safetensors');
  return train.get(name)!.data as Float32Array;
}

/** The three golden images, preprocessed, one [3, S, S] array each. */
function goldenPixels(): Float32Array[] {
  const all = goldenFloats(loadFixture(), 'pixel_values');
  const plane = 3 * SIZE * SIZE;
  return [0, 1, 2].map((i) => all.slice(i * plane, (i + 1) * plane));
}

/** A detector without adapters in the given mode, run once on the golden images (batch 3). */
async function detectGolden(zeroShot: ZeroShotMode | undefined): Promise<{ detections: Detection[]; vision: Record<string, Float32Array>; settings: AaclipSettings }> {
  const visionRuns: Record<string, Float32Array>[] = [];
  registerBackend(BACKEND, () => recordingBackend(visionRuns));
  const detector = await AnomalyDetector.create(await detectorModel(null), {
    backend: BACKEND,
    settings: { imageSize: SIZE },
    batchSize: 3,
    ...(zeroShot ? { zeroShot } : {}),
  });
  try {
    const detections = await detector.detect(goldenPixels(), 'dark bottle');
    expect(visionRuns).toHaveLength(1);
    return { detections, vision: visionRuns[0]!, settings: detector.settings };
  } finally {
    await detector.dispose();
    unregisterBackend(BACKEND);
  }
}

afterEach(() => unregisterBackend(BACKEND));

describe('zero-shot detector without adapters', () => {
  it("'surgery': seg tokens are the reference's stage-1 surgery features, scored against plain CLIP's anchors", async () => {
    const { detections, vision, settings } = await detectGolden('surgery');
    for (let k = 0; k < LEVELS; k++) {
      const error = maxAbsError(vision[`surgery_features_${k}`]!, trainGolden(`stage1_surgery_features_${k}`));
      console.log(`zero-shot surgery seg tokens level ${k}: max abs error ${error.toExponential(2)}`);
      expect(error).toBeLessThan(TOKEN_TOLERANCE);
    }
    expect(maxAbsError(vision.cls_embedding!, trainGolden('stage1_cls_embedding'))).toBeLessThan(TOKEN_TOLERANCE);

    // The maps and scores are scoreImage on the golden features and the golden plain anchors.
    const anchors = goldenFloats(loadFixture(), 'text_anchors_plain');
    const tokens = GRID * GRID * EMBED;
    let mapError = 0;
    let scoreError = 0;
    detections.forEach((detection, i) => {
      const expected = scoreImage({
        segTokens: Array.from({ length: LEVELS }, (_, k) => trainGolden(`stage1_surgery_features_${k}`).subarray(i * tokens, (i + 1) * tokens)),
        detToken: trainGolden('stage1_cls_embedding').subarray(i * EMBED, (i + 1) * EMBED),
        anchors,
        embed: EMBED,
        grid: GRID,
        imageSize: SIZE,
        blur: settingsBlur(settings),
        similarityScale: settings.similarityScale,
      });
      mapError = Math.max(mapError, maxAbsError(detection.anomalyMap, expected.anomalyMap));
      scoreError = Math.max(scoreError, Math.abs(detection.imageScore - expected.imageScore));
    });
    console.log(`zero-shot surgery: anomaly map max abs error ${mapError.toExponential(2)}, image score ${scoreError.toExponential(2)}`);
    expect(mapError).toBeLessThan(MAP_TOLERANCE);
    expect(scoreError).toBeLessThan(IMAGE_SCORE_TOLERANCE);
  });

  it("'plain' (the default) runs plain CLIP: the reference's unadapted seg tokens", async () => {
    const plainGolden = fixtureTensors('golden_plain.safetensors');
    for (const zeroShot of [undefined, 'plain'] as const) {
      const { vision } = await detectGolden(zeroShot);
      expect(Object.keys(vision).sort()).toEqual(['det_token', 'seg_tokens_0', 'seg_tokens_1', 'seg_tokens_2', 'seg_tokens_3']);
      for (let k = 0; k < LEVELS; k++) {
        expect(maxAbsError(vision[`seg_tokens_${k}`]!, plainGolden.get(`seg_tokens_${k}`)!.data as Float32Array)).toBeLessThan(TOKEN_TOLERANCE);
      }
    }
  });

  it('refuses a zero-shot mode together with adapters, and an unknown mode, naming the option', async () => {
    registerBackend(BACKEND, () => recordingBackend([]));
    const options = { backend: BACKEND, settings: { imageSize: SIZE } };
    const adapted = await detectorModel(loadFixture().adapters);
    await expect(AnomalyDetector.create(adapted, { ...options, zeroShot: 'surgery' })).rejects.toThrow(AaclipError);
    await expect(AnomalyDetector.create(adapted, { ...options, zeroShot: 'plain' })).rejects.toThrow(/^zeroShot: "plain" is a baseline run without adapters/);
    await expect(AnomalyDetector.create(await detectorModel(null), { ...options, zeroShot: 'clever' as ZeroShotMode })).rejects.toThrow(/^zeroShot: /);
  });
});
