import { AaclipError } from '@aaclip/core';
import { connectedComponents } from './connectedComponents.js';
import type { Connectivity } from './connectedComponents.js';
import { walkDistinctScoresDescending } from './distinctScoreGroups.js';
import type { LabelTotals, ScoreGroupChunk, ScoreGroupSink } from './distinctScoreGroups.js';
import { radixSortWithPayload } from './radixSort.js';
import { isNaNBits, keyOfBits } from './scoreKeys.js';

/** Shape of a stack of maps (or masks) stored image after image, row-major. */
export interface MapStackShape {
  readonly count: number;
  readonly height: number;
  readonly width: number;
}

export interface AuproOptions {
  /** Integrate the PRO curve up to this false-positive rate (default 0.3). */
  readonly fprLimit?: number;
  /** Connectivity of the ground-truth regions (default 8, as anomalib and the MVTec AD script use). */
  readonly connectivity?: Connectivity;
  readonly source?: string;
}

/**
 * Area under the per-region-overlap (PRO) curve up to a false-positive rate, normalised by that
 * limit. Every connected region of every ground-truth mask counts equally: at a threshold t,
 * PRO(t) = mean over regions of (region pixels scoring ≥ t) / (region area), and
 * FPR(t) = (normal pixels scoring ≥ t) / (normal pixels), over all images together. The curve has
 * one point per distinct score (as the ROC curve), starts at (0, 0), and is integrated with the
 * trapezoid rule, interpolated linearly at the limit.
 *
 * Fed by the same distinct-score pass as AUROC; the region pixels' scores are pre-sorted
 * (radix sort over region pixels only, typically a few percent of all pixels).
 */
export class AuproAccumulator implements ScoreGroupSink {
  private readonly regionKeysDescending: Uint32Array; // bitwise NOT of the order keys, ascending
  private readonly regionOfPixel: Uint32Array;
  private readonly regionWeight: Float64Array;
  private readonly regionCount: number;
  private readonly fprLimit: number;
  private negatives = 0;
  private next = 0;
  private overlapSum = 0;
  private fp = 0;
  private lastFpr = 0;
  private lastPro = 0;
  private area = 0;
  private done = false;

  constructor(maps: Float32Array, masks: Uint8Array, shape: MapStackShape, options: AuproOptions = {}) {
    const source = options.source ?? 'maps';
    const { count, height, width } = shape;
    const plane = height * width;
    if (maps.length !== count * plane || masks.length !== count * plane) {
      throw new AaclipError(
        `expected ${count}×${height}×${width} values, got ${maps.length} map and ${masks.length} mask values`,
        source,
      );
    }
    const fprLimit = options.fprLimit ?? 0.3;
    if (!(fprLimit > 0 && fprLimit <= 1)) {
      throw new AaclipError(`the FPR limit must be in (0, 1], got ${fprLimit}`, 'fprLimit');
    }
    this.fprLimit = fprLimit;

    // Regions of every mask; each region pixel gets (its score's key, its region's index).
    const perImage = [];
    let regionPixels = 0;
    let regionCount = 0;
    for (let i = 0; i < count; i++) {
      const components = connectedComponents(masks.subarray(i * plane, (i + 1) * plane), width, height, options.connectivity ?? 8);
      perImage.push(components);
      regionCount += components.count;
      for (const a of components.areas) regionPixels += a;
    }
    const bits = new Uint32Array(maps.buffer, maps.byteOffset, maps.length);
    const keys = new Uint32Array(regionPixels);
    const regions = new Uint32Array(regionPixels);
    const weights = new Float64Array(regionCount);
    let at = 0;
    let firstRegion = 0;
    for (let i = 0; i < count; i++) {
      const { labels, count: regionsHere, areas } = perImage[i]!;
      for (let r = 0; r < regionsHere; r++) weights[firstRegion + r] = 1 / areas[r]!;
      const offset = i * plane;
      for (let p = 0; p < plane; p++) {
        const label = labels[p]!;
        if (label === 0) continue;
        const b = bits[offset + p]!;
        if (isNaNBits(b)) throw new AaclipError(`map ${i} has a NaN at pixel ${p}`, source);
        keys[at] = ~keyOfBits(b) >>> 0;
        regions[at] = firstRegion + label - 1;
        at++;
      }
      firstRegion += regionsHere;
    }
    const sorted = radixSortWithPayload(keys, regions);
    this.regionKeysDescending = sorted.keys;
    this.regionOfPixel = sorted.payload;
    this.regionWeight = weights;
    this.regionCount = regionCount;
  }

  begin(totals: LabelTotals): void {
    this.negatives = totals.negatives;
    this.next = 0;
    this.overlapSum = 0;
    this.fp = 0;
    this.lastFpr = 0;
    this.lastPro = 0;
    this.area = 0;
    this.done = this.negatives === 0 || this.regionCount === 0;
  }

  take(chunk: ScoreGroupChunk): void {
    if (this.done) return;
    const sortedKeys = this.regionKeysDescending;
    const total = sortedKeys.length;
    const limit = this.fprLimit;
    for (let i = 0; i < chunk.length; i++) {
      const flippedKey = ~chunk.keys[i]! >>> 0;
      while (this.next < total && sortedKeys[this.next]! <= flippedKey) {
        this.overlapSum += this.regionWeight[this.regionOfPixel[this.next]!]!;
        this.next++;
      }
      this.fp += chunk.negatives[i]!;
      const fpr = this.fp / this.negatives;
      const pro = this.overlapSum / this.regionCount;
      if (fpr >= limit) {
        const t = (limit - this.lastFpr) / (fpr - this.lastFpr);
        const proAtLimit = this.lastPro + (pro - this.lastPro) * t;
        this.area += ((limit - this.lastFpr) * (this.lastPro + proAtLimit)) / 2;
        this.done = true;
        return;
      }
      this.area += ((fpr - this.lastFpr) * (this.lastPro + pro)) / 2;
      this.lastFpr = fpr;
      this.lastPro = pro;
    }
  }

  /** The normalised area, or null without any ground-truth region or without normal pixels. */
  result(): number | null {
    if (this.negatives === 0 || this.regionCount === 0) return null;
    return this.area / this.fprLimit;
  }
}

/** AUPRO of a stack of anomaly maps against ground-truth masks (`!= 0` is anomalous). */
export function aupro(maps: Float32Array, masks: Uint8Array, shape: MapStackShape, options: AuproOptions = {}): number | null {
  const acc = new AuproAccumulator(maps, masks, shape, options);
  walkDistinctScoresDescending(maps, masks, [acc], options.source ?? 'maps');
  return acc.result();
}
