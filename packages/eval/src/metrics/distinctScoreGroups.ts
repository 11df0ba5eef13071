import { AaclipError } from '@aaclip/core';
import { isNaNBits, NEGATIVE_ZERO_BITS } from './scoreKeys.js';

/**
 * A run of consecutive distinct scores, highest first: for each i < length, `keys[i]` is the
 * score's order key (see scoreKeys.ts) and `negatives[i]` / `positives[i]` count the samples
 * with exactly that score. The arrays are reused between calls.
 */
export interface ScoreGroupChunk {
  readonly keys: Uint32Array;
  readonly negatives: Uint32Array;
  readonly positives: Uint32Array;
  readonly length: number;
}

export interface LabelTotals {
  readonly positives: number;
  readonly negatives: number;
}

/** Something that consumes the distinct-score groups of one pass (an AUROC accumulator, a curve…). */
export interface ScoreGroupSink {
  begin(totals: LabelTotals): void;
  take(chunk: ScoreGroupChunk): void;
}

const HIGH_BUCKETS = 1 << 16;
const CHUNK = 4096;
// A bucket at most this large is ordered by sorting its entries; a larger one by a histogram
// over the 16 low key bits, which costs a walk over 65 536 slots (skipping empty 256-slot blocks).
const SORT_BUCKET_LIMIT = 2048;

/**
 * Visits every distinct score once, in descending order, with how many negatives and positives
 * hold it — the thresholds scikit-learn's `_binary_clf_curve` uses — without a comparison sort:
 * the 16 high bits of each score's order key pick a bucket (one counting pass and one scatter),
 * then each bucket is resolved on its 16 low bits. Extra memory: 4 bytes per score.
 *
 * `labels[i] != 0` marks sample i as positive. A NaN score is an error naming `source`.
 */
export function walkDistinctScoresDescending(
  scores: Float32Array,
  labels: Uint8Array,
  sinks: readonly ScoreGroupSink[],
  source = 'scores',
): LabelTotals {
  const n = scores.length;
  if (labels.length !== n) {
    throw new AaclipError(`${n} scores but ${labels.length} labels`, source);
  }
  const bits = new Uint32Array(scores.buffer, scores.byteOffset, n);

  // Pass 1: bucket sizes, label totals, NaN check.
  const bucketStart = new Uint32Array(HIGH_BUCKETS + 1);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    let b = bits[i]!;
    if (isNaNBits(b)) throw new AaclipError(`score ${i} is NaN`, source);
    if (b === NEGATIVE_ZERO_BITS) b = 0;
    const key = b & 0x80000000 ? ~b : b | 0x80000000;
    bucketStart[(key >>> 16) + 1]!++;
    positives += (labels[i]! + 255) >> 8;
  }
  for (let h = 1; h <= HIGH_BUCKETS; h++) bucketStart[h]! += bucketStart[h - 1]!;
  const totals: LabelTotals = { positives, negatives: n - positives };
  for (const sink of sinks) sink.begin(totals);
  if (n === 0) return totals;

  // Pass 2: scatter (low 16 key bits << 1 | label) into the buckets.
  const cursor = bucketStart.slice(0, HIGH_BUCKETS);
  const entries = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let b = bits[i]!;
    if (b === NEGATIVE_ZERO_BITS) b = 0;
    const key = b & 0x80000000 ? ~b : b | 0x80000000;
    entries[cursor[key >>> 16]!++] = (((key & 0xffff) << 1) | ((labels[i]! + 255) >> 8)) >>> 0;
  }

  // Pass 3: buckets from the highest down, each resolved into its distinct scores.
  const keys = new Uint32Array(CHUNK);
  const negs = new Uint32Array(CHUNK);
  const poss = new Uint32Array(CHUNK);
  let length = 0;
  const flush = (): void => {
    const chunk: ScoreGroupChunk = { keys, negatives: negs, positives: poss, length };
    for (const sink of sinks) sink.take(chunk);
    length = 0;
  };
  const histogram = new Uint32Array(2 << 16);
  const occupiedBlocks = new Uint8Array(256);

  for (let high = HIGH_BUCKETS - 1; high >= 0; high--) {
    const start = bucketStart[high]!;
    const end = bucketStart[high + 1]!;
    if (start === end) continue;
    const highBits = (high << 16) >>> 0;
    if (end - start <= SORT_BUCKET_LIMIT) {
      const bucket = entries.subarray(start, end);
      bucket.sort();
      let j = bucket.length - 1;
      while (j >= 0) {
        const low = bucket[j]! >>> 1;
        let pos = 0;
        let neg = 0;
        while (j >= 0 && bucket[j]! >>> 1 === low) {
          const label = bucket[j]! & 1;
          pos += label;
          neg += 1 - label;
          j--;
        }
        keys[length] = (highBits | low) >>> 0;
        negs[length] = neg;
        poss[length] = pos;
        if (++length === CHUNK) flush();
      }
    } else {
      for (let i = start; i < end; i++) {
        const e = entries[i]!;
        histogram[e]!++;
        occupiedBlocks[e >>> 9] = 1;
      }
      for (let block = 255; block >= 0; block--) {
        if (occupiedBlocks[block] === 0) continue;
        occupiedBlocks[block] = 0;
        const first = block << 8;
        for (let low = first + 255; low >= first; low--) {
          const neg = histogram[low << 1]!;
          const pos = histogram[(low << 1) | 1]!;
          if (neg === 0 && pos === 0) continue;
          histogram[low << 1] = 0;
          histogram[(low << 1) | 1] = 0;
          keys[length] = (highBits | low) >>> 0;
          negs[length] = neg;
          poss[length] = pos;
          if (++length === CHUNK) flush();
        }
      }
    }
  }
  if (length > 0) flush();
  return totals;
}
