// Slow, obviously-correct versions of the metrics, straight from their definitions, for checking
// the fast ones on small inputs. Scores are compared as plain numbers.

/** The distinct thresholds, highest first. */
function thresholds(scores: ArrayLike<number>): number[] {
  return [...new Set(Array.from(scores, (s) => s + 0))].sort((a, b) => b - a);
}

function countsAt(scores: ArrayLike<number>, labels: ArrayLike<number>, t: number): { tp: number; fp: number } {
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < scores.length; i++) {
    if (scores[i]! >= t) {
      if (labels[i]) tp++;
      else fp++;
    }
  }
  return { tp, fp };
}

/** AUROC as the Mann–Whitney statistic: P(score of a positive > score of a negative) + ½·P(tie). */
export function bruteAuroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!labels[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j]) continue;
      pairs++;
      if (scores[i]! > scores[j]!) wins += 1;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  return wins / pairs;
}

/** AP = Σ (R_n − R_{n−1}) P_n over the distinct thresholds. */
export function bruteAveragePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const positives = Array.from(labels).filter((l) => l).length;
  let ap = 0;
  let lastRecall = 0;
  for (const t of thresholds(scores)) {
    const { tp, fp } = countsAt(scores, labels, t);
    const recall = tp / positives;
    ap += (recall - lastRecall) * (tp / (tp + fp));
    lastRecall = recall;
  }
  return ap;
}

export function bruteF1Max(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const positives = Array.from(labels).filter((l) => l).length;
  let best = 0;
  for (const t of thresholds(scores)) {
    const { tp, fp } = countsAt(scores, labels, t);
    if (tp === 0) continue;
    const precision = tp / (tp + fp);
    const recall = tp / positives;
    best = Math.max(best, (2 * precision * recall) / (precision + recall));
  }
  return best;
}

/**
 * AUPRO from its definition, given each anomalous pixel's region id (regions[i] > 0) — the regions
 * are passed in so this checks the curve, and connected components are checked on their own.
 */
export function bruteAupro(scores: ArrayLike<number>, regions: ArrayLike<number>, limit: number): number {
  const regionIds = [...new Set(Array.from(regions).filter((r) => r > 0))];
  const area = new Map<number, number>();
  for (let i = 0; i < regions.length; i++) if (regions[i]! > 0) area.set(regions[i]!, (area.get(regions[i]!) ?? 0) + 1);
  let negatives = 0;
  for (let i = 0; i < regions.length; i++) if (regions[i] === 0) negatives++;
  const fprs = [0];
  const pros = [0];
  for (const t of thresholds(scores)) {
    let fp = 0;
    const overlap = new Map<number, number>();
    for (let i = 0; i < scores.length; i++) {
      if (scores[i]! < t) continue;
      if (regions[i] === 0) fp++;
      else overlap.set(regions[i]!, (overlap.get(regions[i]!) ?? 0) + 1);
    }
    fprs.push(fp / negatives);
    pros.push(regionIds.reduce((s, r) => s + (overlap.get(r) ?? 0) / area.get(r)!, 0) / regionIds.length);
  }
  let sum = 0;
  for (let k = 1; k < fprs.length; k++) {
    const x0 = fprs[k - 1]!;
    const x1 = fprs[k]!;
    if (x0 >= limit) break;
    const y0 = pros[k - 1]!;
    let y1 = pros[k]!;
    let right = x1;
    if (x1 > limit) {
      y1 = y0 + ((y1 - y0) * (limit - x0)) / (x1 - x0);
      right = limit;
    }
    sum += ((right - x0) * (y0 + y1)) / 2;
  }
  return sum / limit;
}

/** A small seeded generator (xorshift32) so failures reproduce. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}

/**
 * Region ids of a stack of masks (count×height×width), numbered across the stack from 1; 0 is
 * background. 8-connected: two mask pixels are one region when a chain of mask pixels, each
 * touching the next at an edge or a corner, joins them — found by repeated merging until nothing
 * changes, the slow way on purpose.
 */
export function bruteRegions(masks: ArrayLike<number>, count: number, height: number, width: number): Int32Array {
  const ids = new Int32Array(masks.length);
  for (let i = 0; i < masks.length; i++) ids[i] = masks[i] ? i + 1 : 0;
  const plane = height * width;
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < masks.length; i++) {
      if (!ids[i]) continue;
      const image = Math.floor(i / plane);
      const y = Math.floor((i % plane) / width);
      const x = i % width;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const ny = y + dy;
          const nx = x + dx;
          if (ny < 0 || ny >= height || nx < 0 || nx >= width) continue;
          const j = image * plane + ny * width + nx;
          if (ids[j] && ids[j]! < ids[i]!) {
            ids[i] = ids[j]!;
            changed = true;
          }
        }
      }
    }
  }
  return ids;
}
