// One backend conformance suite: the golden fixture's parity cases, run on any backend and device.
// It takes the fixture as bytes and uses no Node API, so the same cases run under Node (node/cpu,
// web/wasm, node/webgpu) and inside a browser page (web/webgpu).
import type { Backend, BackendSession, ModelBytes } from '../backend/backend.js';
import type { Precision } from '../config/precision.js';
import { passesForDevice, type RewriteOptions } from '../pipeline/devicePasses.js';
import { textTowerPasses } from '../graph/passes/selectPasses.js';
import { settingsBlur } from '../config/aaclipSettings.js';
import { visionGrid } from '../config/modelConfig.js';
import {
  buildTextModel,
  buildVisionModel,
  DET_TOKEN_OUTPUT,
  segTokensOutput,
  TEXT_INPUT,
  TEXT_OUTPUT,
  VISION_INPUT,
  type ModelBuildOptions,
} from '../graph/buildModels.js';
import { computeTextAnchors } from '../prompts/textAnchors.js';
import { defaultTrainingSettings } from '../config/trainingSettings.js';
import { buildImageTrainingStep, buildTextTrainingStep, type TrainingStepModel } from '../training/step/trainingStepModel.js';
import {
  ANCHORS_INPUT,
  CLASS_ONE_HOT_INPUT,
  LABEL_ONE_HOT_INPUT,
  MASKS_INPUT,
  PIXELS_INPUT,
  PROMPT_IDS_INPUT,
} from '../training/stages/stageIo.js';
import { scoreImage } from '../scoring/scoreImage.js';
import type { Tensor } from '../tensor/tensor.js';
import { shapeToString } from '../tensor/tensor.js';
import { goldenTensor, parseConformanceFixture, type ConformanceFixture, type ConformanceFixtureFiles } from './conformanceFixture.js';
import { pearsonCorrelation } from './mapCorrelation.js';
import { maxAbsError } from './maxAbsError.js';

/** The fixture's tolerances (its README): what an exact float32 implementation meets. */
export const CONFORMANCE_TOLERANCES = { tokens: 1e-4, anchors: 1e-4, maps: 1e-3, imageScores: 1e-5, losses: 1e-4, gradients: 1e-3 } as const;

/**
 * The anomaly maps must correlate with the golden ones at least this well (Pearson), whatever
 * the precision: the case reports 1 − correlation against 1 − this.
 */
export const MIN_MAP_CORRELATION = 0.99;

/**
 * Tolerances of the inference cases per precision. fp32 (with or without fusions) meets the
 * fixture's own; fp16 and int8 are looser by what rounding the weights and activations costs,
 * measured on the fixture (see the core README) with a margin; their maps must still correlate
 * with the golden ones at MIN_MAP_CORRELATION.
 */
export const PRECISION_TOLERANCES: Readonly<Record<Precision, { readonly tokens: number; readonly anchors: number; readonly maps: number; readonly imageScores: number }>> = {
  fp32: CONFORMANCE_TOLERANCES,
  fp16: { tokens: 5e-3, anchors: 5e-3, maps: 2e-2, imageScores: 2e-3 },
  // int8 quantises the image tower only: the anchors are float32's.
  int8: { tokens: 3e-2, anchors: CONFORMANCE_TOLERANCES.anchors, maps: 1e-1, imageScores: 5e-3 },
};

export interface ConformanceCase {
  readonly id: string;
  readonly description: string;
  readonly tolerance: number;
}

/** The parity cases, in the order they run. */
export const CONFORMANCE_CASES: readonly ConformanceCase[] = [
  { id: 'vision.seg_tokens', description: 'adapted patch tokens at the four levels vs seg_tokens_0..3', tolerance: CONFORMANCE_TOLERANCES.tokens },
  { id: 'vision.det_token', description: 'detection token vs det_token', tolerance: CONFORMANCE_TOLERANCES.tokens },
  { id: 'text.anchors_adapted', description: 'anchors from the adapted text tower vs text_anchors', tolerance: CONFORMANCE_TOLERANCES.anchors },
  { id: 'text.anchors_plain', description: 'anchors from the plain CLIP text tower vs text_anchors_plain', tolerance: CONFORMANCE_TOLERANCES.anchors },
  { id: 'maps.level_maps', description: "each level's blurred, upsampled map vs level_map_0..3", tolerance: CONFORMANCE_TOLERANCES.maps },
  { id: 'maps.anomaly_map', description: 'fused anomaly map vs anomaly_map', tolerance: CONFORMANCE_TOLERANCES.maps },
  { id: 'maps.correlation', description: '1 − Pearson correlation of the anomaly maps with anomaly_map', tolerance: 1 - MIN_MAP_CORRELATION },
  { id: 'scores.image_score', description: 'image scores vs image_score', tolerance: CONFORMANCE_TOLERANCES.imageScores },
  { id: 'train.stage1_loss', description: 'stage-1 training step loss vs stage1_loss (relative)', tolerance: CONFORMANCE_TOLERANCES.losses },
  { id: 'train.stage1_gradients', description: 'stage-1 text-adapter gradients vs stage1_grad.* (relative by norm, worst adapter)', tolerance: CONFORMANCE_TOLERANCES.gradients },
  { id: 'train.stage2_loss', description: 'stage-2 training step loss vs stage2_loss (relative)', tolerance: CONFORMANCE_TOLERANCES.losses },
  { id: 'train.stage2_gradients', description: 'stage-2 image-adapter gradients vs stage2_grad.* (relative by norm, worst adapter)', tolerance: CONFORMANCE_TOLERANCES.gradients },
];

export interface ConformanceResult {
  readonly id: string;
  readonly description: string;
  readonly tolerance: number;
  /**
   * Largest absolute error against the golden values — relative for the training cases, as the
   * fixture states their tolerances (Infinity on NaN or a shape mismatch; NaN when the case could not run).
   */
  readonly maxError: number;
  readonly passed: boolean;
  /** Why the case could not run (session or model failure), when it could not. */
  readonly error?: string;
}

export interface ConformanceReport {
  readonly backend: string;
  readonly device: string;
  readonly precision: Precision;
  /** The passes the inference models were built with, in order (as the pipeline selects them for the device). */
  readonly passes: readonly string[];
  /** Whether the training cases ran (fp32 only). */
  readonly training: boolean;
  readonly results: readonly ConformanceResult[];
  readonly passed: boolean;
  readonly milliseconds: number;
}

export interface ConformanceTarget extends RewriteOptions {
  readonly backend: Backend;
  readonly device: string;
}

export interface ConformanceOptions {
  /** Called as each case finishes (e.g. to show progress in a page). */
  readonly onResult?: (result: ConformanceResult) => void;
  /**
   * Run the training cases (they build fp32 training graphs, which no precision or fusion
   * changes). Default: at fp32 only; they are never run at fp16 or int8.
   */
  readonly training?: boolean;
}

const TRAINING_CASE = /^train\./;

/**
 * The cases a run at `precision` checks, with that precision's tolerances: every case at fp32,
 * the inference cases only at fp16 and int8 (or when `training` is false).
 */
export function conformanceCases(precision: Precision = 'fp32', training = precision === 'fp32'): ConformanceCase[] {
  const t = PRECISION_TOLERANCES[precision];
  const byId: Record<string, number> = {
    'vision.seg_tokens': t.tokens,
    'vision.det_token': t.tokens,
    'text.anchors_adapted': t.anchors,
    'text.anchors_plain': t.anchors,
    'maps.level_maps': t.maps,
    'maps.anomaly_map': t.maps,
    'scores.image_score': t.imageScores,
  };
  return CONFORMANCE_CASES.filter((c) => (training && precision === 'fp32') || !TRAINING_CASE.test(c.id)).map((c) => ({ ...c, tolerance: byId[c.id] ?? c.tolerance }));
}

const now = (): number => (typeof performance === 'undefined' ? Date.now() : performance.now());


async function runModel(target: ConformanceTarget, model: ModelBytes, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const session: BackendSession = await target.backend.createSession(model, { device: target.device });
  try {
    return await session.run(feeds);
  } finally {
    await session.dispose();
  }
}

function floats(outputs: Record<string, Tensor>, name: string, shape: readonly number[]): Float32Array {
  const tensor = outputs[name];
  if (!tensor) throw new Error(`the session returned no output "${name}"`);
  if (tensor.dtype !== 'F32' || shapeToString(tensor.shape) !== shapeToString(shape)) {
    throw new Error(`output "${name}" is ${tensor.dtype} ${shapeToString(tensor.shape)}, expected F32 ${shapeToString(shape)}`);
  }
  return tensor.data as Float32Array;
}

const goldenFloats = (fixture: ConformanceFixture, name: string, shape: readonly number[]): Float32Array =>
  goldenTensor(fixture, name, 'F32', shape).data as Float32Array;

/** The models are built as AnomalyDetector builds them for this backend, device and precision. */
const buildOptions = (target: ConformanceTarget): ModelBuildOptions => ({
  passes: passesForDevice(target.backend, target.device, target),
});

interface VisionOutputs {
  readonly segTokens: Float32Array[];
  readonly detToken: Float32Array;
}

async function encodeImages(fixture: ConformanceFixture, target: ConformanceTarget): Promise<VisionOutputs> {
  const { config, settings } = fixture;
  const size = settings.imageSize;
  const pixels = goldenTensor(fixture, 'pixel_values', 'F32', [3, 3, size, size]);
  const batch = pixels.shape[0]!;
  const cells = visionGrid(config, size) ** 2;
  const embed = config.embed_dim;
  const model = buildVisionModel(config, fixture.clip, fixture.adapters, settings, buildOptions(target));
  const out = await runModel(target, model, { [VISION_INPUT]: pixels });
  return {
    segTokens: settings.levels.map((_, k) => floats(out, segTokensOutput(k), [batch, cells, embed])),
    detToken: floats(out, DET_TOKEN_OUTPUT, [batch, embed]),
  };
}

async function textAnchors(fixture: ConformanceFixture, target: ConformanceTarget, adapted: boolean): Promise<Float32Array> {
  const { config, settings, normalCount, abnormalCount } = fixture;
  const prompts = normalCount + abnormalCount;
  const tokens = goldenTensor(fixture, 'prompt_tokens', 'I64', [prompts, config.text_cfg.context_length]);
  const model = buildTextModel(config, fixture.clip, adapted ? fixture.adapters : null, settings, { passes: textTowerPasses(buildOptions(target).passes ?? []) });
  const out = await runModel(target, model, { [TEXT_INPUT]: tokens });
  const embeds = floats(out, TEXT_OUTPUT, [prompts, config.embed_dim]);
  return computeTextAnchors(embeds, config.embed_dim, normalCount, abnormalCount);
}

/** ‖a − b‖ / ‖b‖ (Infinity on a length mismatch or NaN). */
function relativeByNorm(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    diff += (actual[i]! - expected[i]!) ** 2;
    norm += expected[i]! ** 2;
  }
  const error = Math.sqrt(diff / norm);
  return Number.isNaN(error) ? Infinity : error;
}

/**
 * One training step of a stage on the fixture batch (the three images, their masks and labels),
 * as the trainer builds and runs it: stage 1 on the reference's fixed patch features, stage 2
 * with the golden anchors for every image.
 */
async function runTrainingStep(fixture: ConformanceFixture, target: ConformanceTarget, stage: 'stage1' | 'stage2'): Promise<{ lossError: number; gradientError: number }> {
  const { config, settings } = fixture;
  const size = settings.imageSize;
  const batch = 3;
  const embed = config.embed_dim;
  const cells = visionGrid(config, size) ** 2;
  const base = { config, weights: fixture.clip, adapters: fixture.adapters, settings, training: defaultTrainingSettings(), batchSize: batch };
  const masks = goldenTensor(fixture, 'train_masks', 'F32', [batch, 1, size, size]);
  const feeds: Record<string, Tensor> = { [MASKS_INPUT]: { dtype: 'F32', shape: [batch, size, size], data: masks.data } };
  let step: TrainingStepModel;
  if (stage === 'stage1') {
    const prompts = fixture.normalCount + fixture.abnormalCount;
    step = buildTextTrainingStep({ ...base, classCount: 1, prompts: { normalCount: fixture.normalCount, abnormalCount: fixture.abnormalCount } });
    feeds[PROMPT_IDS_INPUT] = goldenTensor(fixture, 'prompt_tokens', 'I64', [prompts, config.text_cfg.context_length]);
    feeds[CLASS_ONE_HOT_INPUT] = { dtype: 'F32', shape: [batch, 1], data: new Float32Array(batch).fill(1) };
    for (const name of step.dataInputs) {
      const level = /^patch_features_(\d+)$/.exec(name)?.[1];
      if (level !== undefined) feeds[name] = goldenTensor(fixture, `stage1_patch_features_${level}`, 'F32', [batch, cells, embed]);
    }
  } else {
    step = buildImageTrainingStep(base);
    feeds[PIXELS_INPUT] = goldenTensor(fixture, 'pixel_values', 'F32', [batch, 3, size, size]);
    const anchors = goldenFloats(fixture, 'text_anchors', [embed, 2]);
    const perImage = new Float32Array(batch * anchors.length);
    for (let b = 0; b < batch; b++) perImage.set(anchors, b * anchors.length);
    feeds[ANCHORS_INPUT] = { dtype: 'F32', shape: [batch, embed, 2], data: perImage };
    const labels = goldenTensor(fixture, 'train_labels', 'I64', [batch]).data as BigInt64Array;
    const oneHot = new Float32Array(batch * 2);
    labels.forEach((label, i) => (oneHot[i * 2 + Number(label)] = 1));
    feeds[LABEL_ONE_HOT_INPUT] = { dtype: 'F32', shape: [batch, 2], data: oneHot };
  }
  for (const key of step.trainable) {
    const weight = fixture.adapters.get(key);
    if (!weight) throw new Error(`the fixture adapters have no "${key}"`);
    feeds[key] = weight;
  }
  const out = await runModel(target, step.onnx, feeds);
  const loss = floats(out, step.lossOutput, [])[0]!;
  const expectedLoss = goldenFloats(fixture, `${stage}_loss`, [1])[0]!;
  let gradientError = 0;
  for (const key of step.trainable) {
    const expected = fixture.golden.get(`${stage}_grad.${key}`);
    if (!expected) throw new Error(`golden.safetensors has no "${stage}_grad.${key}"`);
    gradientError = Math.max(gradientError, relativeByNorm(floats(out, step.gradientOutputs.get(key)!, expected.shape), expected.data as Float32Array));
  }
  const lossError = Math.abs(loss - expectedLoss) / Math.abs(expectedLoss);
  return { lossError: Number.isNaN(lossError) ? Infinity : lossError, gradientError };
}

/**
 * Runs every parity case on one backend and device and reports each case's measured error
 * against its tolerance. The device must be usable (`backend.init(device)` resolved); a failure
 * inside a case (model load, run) fails that case with the reason instead of aborting the suite.
 */
export async function runConformanceSuite(
  files: ConformanceFixtureFiles,
  target: ConformanceTarget,
  options: ConformanceOptions = {},
): Promise<ConformanceReport> {
  const started = now();
  const precision = target.precision ?? 'fp32';
  const training = options.training ?? precision === 'fp32';
  const cases = conformanceCases(precision, training);
  // Selected once, up front: a precision the device does not declare fails here, naming the device.
  const passes = buildOptions(target).passes ?? [];
  const fixture = parseConformanceFixture(files);
  const { config, settings } = fixture;
  const results: ConformanceResult[] = [];
  const record = (id: string, maxError: number, error?: string): void => {
    const c = cases.find((k) => k.id === id);
    if (!c) return; // a case this run does not check
    const result: ConformanceResult = {
      id,
      description: c.description,
      tolerance: c.tolerance,
      maxError,
      passed: error === undefined && maxError <= c.tolerance,
      ...(error === undefined ? {} : { error }),
    };
    results.push(result);
    options.onResult?.(result);
  };
  const attempt = async <T>(ids: readonly string[], step: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await step();
    } catch (err) {
      const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
      for (const id of ids) record(id, NaN, reason);
      return undefined;
    }
  };

  const size = settings.imageSize;
  const images = 3;
  const cells = visionGrid(config, size) ** 2;
  const embed = config.embed_dim;

  const vision = await attempt(['vision.seg_tokens', 'vision.det_token', 'maps.level_maps', 'maps.anomaly_map', 'maps.correlation', 'scores.image_score'], () =>
    encodeImages(fixture, target),
  );
  if (vision) {
    record('vision.seg_tokens', Math.max(...vision.segTokens.map((t, k) => maxAbsError(t, goldenFloats(fixture, `seg_tokens_${k}`, [images, cells, embed])))));
    record('vision.det_token', maxAbsError(vision.detToken, goldenFloats(fixture, 'det_token', [images, embed])));
  }
  const anchors = await attempt(['text.anchors_adapted'], () => textAnchors(fixture, target, true));
  if (anchors) record('text.anchors_adapted', maxAbsError(anchors, goldenFloats(fixture, 'text_anchors', [embed, 2])));
  const plain = await attempt(['text.anchors_plain'], () => textAnchors(fixture, target, false));
  if (plain) record('text.anchors_plain', maxAbsError(plain, goldenFloats(fixture, 'text_anchors_plain', [embed, 2])));

  if (vision) {
    if (!anchors) {
      for (const id of ['maps.level_maps', 'maps.anomaly_map', 'maps.correlation', 'scores.image_score']) record(id, NaN, 'needs the adapted text anchors, which failed');
    } else {
      // Host-side scoring on this backend's own tokens and anchors, as the pipeline does.
      const blur = settingsBlur(settings);
      const pixels = size * size;
      const scored = Array.from({ length: images }, (_, i) =>
        scoreImage({
          segTokens: vision.segTokens.map((t) => t.subarray(i * cells * embed, (i + 1) * cells * embed)),
          detToken: vision.detToken.subarray(i * embed, (i + 1) * embed),
          anchors,
          embed,
          grid: Math.sqrt(cells),
          imageSize: size,
          blur,
          similarityScale: settings.similarityScale,
        }),
      );
      const concat = (parts: Float32Array[]): Float32Array => {
        const out = new Float32Array(parts.length * pixels);
        parts.forEach((p, i) => out.set(p, i * pixels));
        return out;
      };
      const levelErrors = settings.levels.map((_, k) =>
        maxAbsError(concat(scored.map((s) => s.levelMaps[k]!)), goldenFloats(fixture, `level_map_${k}`, [images, size, size])),
      );
      record('maps.level_maps', Math.max(...levelErrors));
      const anomalyMaps = concat(scored.map((s) => s.anomalyMap));
      const goldenMaps = goldenFloats(fixture, 'anomaly_map', [images, size, size]);
      record('maps.anomaly_map', maxAbsError(anomalyMaps, goldenMaps));
      const correlation = pearsonCorrelation(anomalyMaps, goldenMaps);
      record('maps.correlation', Number.isNaN(correlation) ? Infinity : 1 - correlation);
      record('scores.image_score', maxAbsError(scored.map((s) => s.imageScore), goldenFloats(fixture, 'image_score', [images])));
    }
  }

  for (const stage of training ? (['stage1', 'stage2'] as const) : []) {
    const step = await attempt([`train.${stage}_loss`, `train.${stage}_gradients`], () => runTrainingStep(fixture, target, stage));
    if (step) {
      record(`train.${stage}_loss`, step.lossError);
      record(`train.${stage}_gradients`, step.gradientError);
    }
  }

  results.sort((a, b) => cases.findIndex((c) => c.id === a.id) - cases.findIndex((c) => c.id === b.id));
  return {
    backend: target.backend.name,
    device: target.device,
    precision,
    passes: passes.map((p) => p.name),
    training,
    results,
    passed: results.length === cases.length && results.every((r) => r.passed),
    milliseconds: now() - started,
  };
}

/** The report as aligned text lines, one per case (for logs and the browser page). */
export function formatConformanceReport(report: ConformanceReport): string {
  const width = Math.max(...CONFORMANCE_CASES.map((c) => c.id.length));
  const lines = report.results.map((r) => {
    const verdict = r.passed ? 'ok  ' : 'FAIL';
    const measured = Number.isNaN(r.maxError) ? 'not run' : r.maxError.toExponential(2);
    return `${verdict} ${r.id.padEnd(width)}  max error ${measured.padEnd(9)} tolerance ${r.tolerance.toExponential(0)}${r.error ? `  (${r.error})` : ''}`;
  });
  const build = `, ${report.precision}${report.passes.length ? ` (${report.passes.join(', ')})` : ', plain ops'}`;
  return [`conformance ${report.backend}/${report.device}${build}: ${report.passed ? 'passed' : 'FAILED'} in ${Math.round(report.milliseconds)} ms`, ...lines].join('\n');
}
