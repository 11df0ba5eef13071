import type { LabelTotals, ScoreGroupChunk, ScoreGroupSink } from './distinctScoreGroups.js';

/** A curve as parallel coordinate lists (JSON-friendly), e.g. x = FPR, y = TPR. */
export interface Curve {
  readonly x: number[];
  readonly y: number[];
}

/**
 * Records the ROC curve (FPR, TPR), keeping a point only once either coordinate moved by at
 * least 1/`resolution` since the last kept one (both only grow, so at most 2·resolution + 2
 * points), plus both end points — enough to draw, small enough to store.
 */
export class RocCurveRecorder implements ScoreGroupSink {
  private totals: LabelTotals = { positives: 0, negatives: 0 };
  private tp = 0;
  private fp = 0;
  private x: number[] = [];
  private y: number[] = [];

  constructor(private readonly resolution = 200) {}

  begin(totals: LabelTotals): void {
    this.totals = totals;
    this.tp = 0;
    this.fp = 0;
    this.x = [0];
    this.y = [0];
  }

  take(chunk: ScoreGroupChunk): void {
    const { positives: p, negatives: n } = this.totals;
    if (p === 0 || n === 0) return;
    const step = 1 / this.resolution;
    let lastX = this.x[this.x.length - 1]!;
    let lastY = this.y[this.y.length - 1]!;
    for (let i = 0; i < chunk.length; i++) {
      this.tp += chunk.positives[i]!;
      this.fp += chunk.negatives[i]!;
      const fpr = this.fp / n;
      const tpr = this.tp / p;
      const isLast = this.fp === n && this.tp === p;
      if (isLast || fpr - lastX >= step || tpr - lastY >= step) {
        this.x.push(fpr);
        this.y.push(tpr);
        lastX = fpr;
        lastY = tpr;
      }
    }
  }

  /** The curve, or null when only one label value is present. */
  result(): Curve | null {
    const { positives, negatives } = this.totals;
    if (positives === 0 || negatives === 0) return null;
    return { x: this.x, y: this.y };
  }
}

/**
 * Records the precision–recall curve (x = recall, y = precision), starting, as scikit-learn's
 * does, at recall 0 / precision 1; a point is kept once recall moved by 1/`resolution`, plus the
 * last one.
 */
export class PrecisionRecallCurveRecorder implements ScoreGroupSink {
  private totals: LabelTotals = { positives: 0, negatives: 0 };
  private tp = 0;
  private seen = 0;
  private x: number[] = [];
  private y: number[] = [];

  constructor(private readonly resolution = 200) {}

  begin(totals: LabelTotals): void {
    this.totals = totals;
    this.tp = 0;
    this.seen = 0;
    this.x = [0];
    this.y = [1];
  }

  take(chunk: ScoreGroupChunk): void {
    const { positives: p, negatives: n } = this.totals;
    if (p === 0 || n === 0) return;
    const step = 1 / this.resolution;
    let lastX = this.x[this.x.length - 1]!;
    for (let i = 0; i < chunk.length; i++) {
      this.tp += chunk.positives[i]!;
      this.seen += chunk.positives[i]! + chunk.negatives[i]!;
      const recall = this.tp / p;
      const isLast = this.seen === p + n;
      if (isLast || recall - lastX >= step) {
        this.x.push(recall);
        this.y.push(this.tp / this.seen);
        lastX = recall;
      }
    }
  }

  /** The curve, or null when only one label value is present. */
  result(): Curve | null {
    const { positives, negatives } = this.totals;
    if (positives === 0 || negatives === 0) return null;
    return { x: this.x, y: this.y };
  }
}
