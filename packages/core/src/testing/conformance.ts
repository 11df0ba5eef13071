// One backend conformance suite: the golden fixture's parity cases, run on any backend and device.
// It takes the fixture as bytes and uses no Node API, so the same cases run under Node (node/cpu,
// web/wasm, node/webgpu) and inside a browser page (web/webgpu).
import type { Backend, BackendSession, ModelBytes } from '../backend/backend.js';
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
import { scoreImage } from '../scoring/scoreImage.js';
import type { Tensor } from '../tensor/tensor.js';
import { shapeToString } from '../tensor/tensor.js';
import { goldenTensor, parseConformanceFixture, type ConformanceFixture, type ConformanceFixtureFiles } from './conformanceFixture.js';
import { maxAbsError } from './maxAbsError.js';

/** The fixture's tolerances (its README): what an exact float32 implementation meets. */
export const CONFORMANCE_TOLERANCES = { tokens: 1e-4, anchors: 1e-4, maps: 1e-3, imageScores: 1e-5 } as const;

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
  { id: 'scores.image_score', description: 'image scores vs image_score', tolerance: CONFORMANCE_TOLERANCES.imageScores },
];

export interface ConformanceResult {
  readonly id: string;
  readonly description: string;
  readonly tolerance: number;
  /** Largest absolute error against the golden values (Infinity on NaN or a shape mismatch; NaN when the case could not run). */
  readonly maxError: number;
  readonly passed: boolean;
  /** Why the case could not run (session or model failure), when it could not. */
  readonly error?: string;
}

export interface ConformanceReport {
  readonly backend: string;
  readonly device: string;
  /** Whether the towers were built with fused attention (the backend's preference for the device, as the pipeline builds them). */
  readonly fusedAttention: boolean;
  readonly results: readonly ConformanceResult[];
  readonly passed: boolean;
  readonly milliseconds: number;
}

export interface ConformanceTarget {
  readonly backend: Backend;
  readonly device: string;
}

export interface ConformanceOptions {
  /** Called as each case finishes (e.g. to show progress in a page). */
  readonly onResult?: (result: ConformanceResult) => void;
}

const now = (): number => (typeof performance === 'undefined' ? Date.now() : performance.now());

function caseById(id: string): ConformanceCase {
  const found = CONFORMANCE_CASES.find((c) => c.id === id);
  if (!found) throw new Error(`unknown conformance case ${id}`);
  return found;
}

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

/** The models are built as AnomalyDetector builds them for this backend and device. */
const buildOptions = (target: ConformanceTarget): ModelBuildOptions => ({
  fusedAttention: target.backend.modelPreferences?.(target.device).fusedAttention ?? false,
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
  const model = buildTextModel(config, fixture.clip, adapted ? fixture.adapters : null, settings, buildOptions(target));
  const out = await runModel(target, model, { [TEXT_INPUT]: tokens });
  const embeds = floats(out, TEXT_OUTPUT, [prompts, config.embed_dim]);
  return computeTextAnchors(embeds, config.embed_dim, normalCount, abnormalCount);
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
  const fixture = parseConformanceFixture(files);
  const { config, settings } = fixture;
  const results: ConformanceResult[] = [];
  const record = (id: string, maxError: number, error?: string): void => {
    const c = caseById(id);
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

  const vision = await attempt(['vision.seg_tokens', 'vision.det_token', 'maps.level_maps', 'maps.anomaly_map', 'scores.image_score'], () =>
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
      for (const id of ['maps.level_maps', 'maps.anomaly_map', 'scores.image_score']) record(id, NaN, 'needs the adapted text anchors, which failed');
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
      record('maps.anomaly_map', maxAbsError(concat(scored.map((s) => s.anomalyMap)), goldenFloats(fixture, 'anomaly_map', [images, size, size])));
      record('scores.image_score', maxAbsError(scored.map((s) => s.imageScore), goldenFloats(fixture, 'image_score', [images])));
    }
  }

  results.sort((a, b) => CONFORMANCE_CASES.findIndex((c) => c.id === a.id) - CONFORMANCE_CASES.findIndex((c) => c.id === b.id));
  return {
    backend: target.backend.name,
    device: target.device,
    fusedAttention: buildOptions(target).fusedAttention ?? false,
    results,
    passed: results.length === CONFORMANCE_CASES.length && results.every((r) => r.passed),
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
  const build = report.fusedAttention ? ', fused attention' : '';
  return [`conformance ${report.backend}/${report.device}${build}: ${report.passed ? 'passed' : 'FAILED'} in ${Math.round(report.milliseconds)} ms`, ...lines].join('\n');
}
