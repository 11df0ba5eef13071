import { walkDistinctScoresDescending } from './distinctScoreGroups.js';
import type { LabelTotals, ScoreGroupChunk, ScoreGroupSink } from './distinctScoreGroups.js';

/**
 * Average precision with scikit-learn's `average_precision_score` semantics:
 * AP = Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the distinct scores from the highest down (no interpolation),
 * i.e. each threshold's precision weighted by the positives it adds.
 */
export class AveragePrecisionAccumulator implements ScoreGroupSink {
  private totals: LabelTotals = { positives: 0, negatives: 0 };
  private tp = 0;
  private seen = 0;
  private weightedPrecision = 0;

  begin(totals: LabelTotals): void {
    this.totals = totals;
    this.tp = 0;
    this.seen = 0;
    this.weightedPrecision = 0;
  }

  take(chunk: ScoreGroupChunk): void {
    let { tp, seen, weightedPrecision } = this;
    const { negatives, positives, length } = chunk;
    for (let i = 0; i < length; i++) {
      const pos = positives[i]!;
      tp += pos;
      seen += pos + negatives[i]!;
      if (pos !== 0) weightedPrecision += pos * (tp / seen);
    }
    this.tp = tp;
    this.seen = seen;
    this.weightedPrecision = weightedPrecision;
  }

  /** AP, or null when there is no positive or no negative sample. */
  result(): number | null {
    const { positives, negatives } = this.totals;
    if (positives === 0 || negatives === 0) return null;
    return this.weightedPrecision / positives;
  }
}

/** Average precision of float32 scores against labels (`!= 0` is positive); null with one label value. */
export function averagePrecision(scores: Float32Array, labels: Uint8Array): number | null {
  const acc = new AveragePrecisionAccumulator();
  walkDistinctScoresDescending(scores, labels, [acc]);
  return acc.result();
}
