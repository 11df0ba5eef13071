import { AurocAccumulator } from './auroc.js';
import { AveragePrecisionAccumulator } from './averagePrecision.js';
import { PrecisionRecallCurveRecorder, RocCurveRecorder } from './curves.js';
import type { Curve } from './curves.js';
import { walkDistinctScoresDescending } from './distinctScoreGroups.js';
import type { ScoreGroupSink } from './distinctScoreGroups.js';
import { F1MaxAccumulator } from './f1max.js';
import { scoreOfKey } from './scoreKeys.js';

export interface BinaryMetricsOptions {
  /** Also record downsampled ROC and PR curves (default false). */
  readonly curves?: boolean;
  /** Curve resolution: a point per 1/resolution of movement (default 200). */
  readonly curveResolution?: number;
  /** Names the input in errors (default "scores"). */
  readonly source?: string;
}

/** Ranking metrics of one set of scores; each is null when only one label value is present. */
export interface BinaryMetrics {
  readonly auroc: number | null;
  readonly averagePrecision: number | null;
  readonly f1Max: number | null;
  /** The score threshold reaching F1-max (null with f1Max). */
  readonly f1MaxThreshold: number | null;
  readonly positives: number;
  readonly negatives: number;
  readonly roc?: Curve | null;
  readonly pr?: Curve | null;
}

/** AUROC, AP and F1-max (and optionally the curves) of float32 scores in one pass over the distinct scores. */
export function binaryMetrics(
  scores: Float32Array,
  labels: Uint8Array,
  options: BinaryMetricsOptions = {},
): BinaryMetrics {
  return binaryMetricsWith(scores, labels, options, []);
}

/** binaryMetrics plus extra sinks fed by the same pass (used by the pixel metrics for AUPRO). */
export function binaryMetricsWith(
  scores: Float32Array,
  labels: Uint8Array,
  options: BinaryMetricsOptions,
  extraSinks: readonly ScoreGroupSink[],
): BinaryMetrics {
  const auc = new AurocAccumulator();
  const ap = new AveragePrecisionAccumulator();
  const f1 = new F1MaxAccumulator();
  const sinks: ScoreGroupSink[] = [auc, ap, f1, ...extraSinks];
  const roc = options.curves ? new RocCurveRecorder(options.curveResolution) : null;
  const pr = options.curves ? new PrecisionRecallCurveRecorder(options.curveResolution) : null;
  if (roc && pr) sinks.push(roc, pr);
  const totals = walkDistinctScoresDescending(scores, labels, sinks, options.source);
  const f1Max = f1.result();
  return {
    auroc: auc.result(),
    averagePrecision: ap.result(),
    f1Max,
    f1MaxThreshold: f1Max === null ? null : scoreOfKey(f1.thresholdKey()),
    positives: totals.positives,
    negatives: totals.negatives,
    ...(roc && pr ? { roc: roc.result(), pr: pr.result() } : {}),
  };
}
