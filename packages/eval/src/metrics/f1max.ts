import { walkDistinctScoresDescending } from './distinctScoreGroups.js';
import type { LabelTotals, ScoreGroupChunk, ScoreGroupSink } from './distinctScoreGroups.js';

/**
 * The best F1 over all thresholds of the precision–recall curve (one per distinct score, samples
 * scoring at least the threshold are predicted positive): F1 = 2·TP / (TP + FP + P).
 */
export class F1MaxAccumulator implements ScoreGroupSink {
  private totals: LabelTotals = { positives: 0, negatives: 0 };
  private tp = 0;
  private seen = 0;
  private best = 0;
  private bestKey = 0;

  begin(totals: LabelTotals): void {
    this.totals = totals;
    this.tp = 0;
    this.seen = 0;
    this.best = 0;
    this.bestKey = 0;
  }

  take(chunk: ScoreGroupChunk): void {
    let { tp, seen, best, bestKey } = this;
    const total = this.totals.positives;
    const { keys, negatives, positives, length } = chunk;
    for (let i = 0; i < length; i++) {
      tp += positives[i]!;
      seen += positives[i]! + negatives[i]!;
      const f1 = (2 * tp) / (seen + total);
      if (f1 > best) {
        best = f1;
        bestKey = keys[i]!;
      }
    }
    this.tp = tp;
    this.seen = seen;
    this.best = best;
    this.bestKey = bestKey;
  }

  /** F1-max, or null when there is no positive or no negative sample. */
  result(): number | null {
    const { positives, negatives } = this.totals;
    if (positives === 0 || negatives === 0) return null;
    return this.best;
  }

  /** The order key (scoreKeys.ts) of the threshold reaching F1-max; meaningful when result() is not null. */
  thresholdKey(): number {
    return this.bestKey;
  }
}

/** F1-max of float32 scores against labels (`!= 0` is positive); null with one label value. */
export function f1Max(scores: Float32Array, labels: Uint8Array): number | null {
  const acc = new F1MaxAccumulator();
  walkDistinctScoresDescending(scores, labels, [acc]);
  return acc.result();
}
