import { walkDistinctScoresDescending } from './distinctScoreGroups.js';
import type { LabelTotals, ScoreGroupChunk, ScoreGroupSink } from './distinctScoreGroups.js';

/**
 * Area under the ROC curve with scikit-learn's `roc_auc_score` semantics: one ROC point per
 * distinct score (tied samples move FPR and TPR together, a diagonal step), trapezoidal area.
 * The area is summed exactly in integer counts (Σ ΔFP·(TP + TPprev), exact below 2^53) and
 * divided by 2·P·N once, so it matches scikit-learn to rounding.
 */
export class AurocAccumulator implements ScoreGroupSink {
  private totals: LabelTotals = { positives: 0, negatives: 0 };
  private tp = 0;
  private fp = 0;
  private doubledArea = 0;

  begin(totals: LabelTotals): void {
    this.totals = totals;
    this.tp = 0;
    this.fp = 0;
    this.doubledArea = 0;
  }

  take(chunk: ScoreGroupChunk): void {
    let { tp, fp, doubledArea } = this;
    const { negatives, positives, length } = chunk;
    for (let i = 0; i < length; i++) {
      const neg = negatives[i]!;
      const nextTp = tp + positives[i]!;
      if (neg !== 0) doubledArea += neg * (tp + nextTp);
      tp = nextTp;
      fp += neg;
    }
    this.tp = tp;
    this.fp = fp;
    this.doubledArea = doubledArea;
  }

  /** The area, or null when only one label value is present (scikit-learn raises there). */
  result(): number | null {
    const { positives, negatives } = this.totals;
    if (positives === 0 || negatives === 0) return null;
    return this.doubledArea / 2 / positives / negatives;
  }
}

/** ROC AUC of float32 scores against labels (`!= 0` is positive); null with one label value. */
export function auroc(scores: Float32Array, labels: Uint8Array): number | null {
  const acc = new AurocAccumulator();
  walkDistinctScoresDescending(scores, labels, [acc]);
  return acc.result();
}
