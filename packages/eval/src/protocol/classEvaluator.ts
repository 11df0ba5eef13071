import { AaclipError, binaryMaskNearest } from '@aaclip/core';
import type { Domain, MaskImage } from '@aaclip/core';
import { evaluateClass } from './evaluateClass.js';
import type { ClassEvaluation, ClassPredictions, EvaluateClassOptions } from './evaluateClass.js';

/** One scored test image of a class. */
export interface ProtocolSample {
  /** Names the image in errors and reports (e.g. its path). */
  readonly id: string;
  /** The raw anomaly map, height×width at the evaluation size. */
  readonly map: Float32Array;
  /** The detector's raw image score. */
  readonly imageScore: number;
  /** 0 normal, anything else anomalous. */
  readonly label: number;
  /** Ground truth at any size (resized and binarised here); null or absent for a normal image. */
  readonly mask?: MaskImage | null;
}

export interface ClassEvaluatorOptions extends Omit<EvaluateClassOptions, 'inPlace'> {
  readonly className: string;
  readonly domain: Domain;
  readonly width: number;
  readonly height: number;
  /** Expected number of images (storage grows past it if needed). */
  readonly capacity?: number;
}

/**
 * Collects a class's scored images one at a time — maps as float32 and masks as bytes, 5 bytes
 * per pixel, never float64 — then runs the protocol (evaluateClass) on them. After `finish()`
 * the normalised maps stay readable through `normalisedMap(i)` (e.g. for a report's gallery).
 */
export class ClassEvaluator {
  private maps: Float32Array;
  private masks: Uint8Array;
  private labels: Uint8Array;
  private scores: Float32Array;
  private readonly ids: string[] = [];
  private finished = false;
  private readonly plane: number;

  constructor(private readonly options: ClassEvaluatorOptions) {
    const { width, height } = options;
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
      throw new AaclipError(`the evaluation size must be positive integers, got ${width}×${height}`, `class ${options.className}`);
    }
    this.plane = width * height;
    const capacity = Math.max(1, options.capacity ?? 16);
    this.maps = new Float32Array(capacity * this.plane);
    this.masks = new Uint8Array(capacity * this.plane);
    this.labels = new Uint8Array(capacity);
    this.scores = new Float32Array(capacity);
  }

  get count(): number {
    return this.ids.length;
  }

  add(sample: ProtocolSample): void {
    if (this.finished) throw new AaclipError('the class is already finished', `class ${this.options.className}`);
    const { width, height } = this.options;
    const source = sample.id;
    if (sample.map.length !== this.plane) {
      throw new AaclipError(`anomaly map has ${sample.map.length} values, expected ${width}×${height}`, source);
    }
    for (let p = 0; p < this.plane; p++) {
      const v = sample.map[p]!;
      if (!Number.isFinite(v)) {
        throw new AaclipError(`anomaly map is ${Number.isNaN(v) ? 'NaN' : 'infinite'} at (x ${p % width}, y ${Math.floor(p / width)})`, source);
      }
    }
    if (!Number.isFinite(sample.imageScore)) throw new AaclipError(`image score is ${sample.imageScore}`, source);
    const mask = binaryMaskNearest(sample.mask, width, height, source);
    const i = this.count;
    if (i === this.labels.length) this.grow();
    this.maps.set(sample.map, i * this.plane);
    this.masks.set(mask, i * this.plane);
    this.labels[i] = sample.label !== 0 ? 1 : 0;
    this.scores[i] = sample.imageScore;
    this.ids.push(sample.id);
  }

  /** Everything added so far, as views of the stored arrays (raw maps until finish() normalises them). */
  predictions(): ClassPredictions {
    const n = this.count;
    const { className, domain, width, height } = this.options;
    return {
      className,
      domain,
      count: n,
      width,
      height,
      maps: this.maps.subarray(0, n * this.plane),
      masks: this.masks.subarray(0, n * this.plane),
      labels: this.labels.subarray(0, n),
      imageScores: this.scores.subarray(0, n),
      ids: this.ids,
    };
  }

  /** Runs the protocol on everything added; the stored maps are normalised in place. */
  finish(): ClassEvaluation {
    if (this.finished) throw new AaclipError('the class is already finished', `class ${this.options.className}`);
    if (this.count === 0) throw new AaclipError('no images to evaluate', `class ${this.options.className}`);
    const predictions = this.predictions();
    this.finished = true;
    return evaluateClass(predictions, { ...this.options, inPlace: true });
  }

  /** The i-th image's map after normalisation (valid after finish). */
  normalisedMap(i: number): Float32Array {
    if (!this.finished) throw new AaclipError('the class is not finished yet', `class ${this.options.className}`);
    return this.maps.subarray(i * this.plane, (i + 1) * this.plane);
  }

  /** The i-th image's binary mask at the evaluation size. */
  mask(i: number): Uint8Array {
    return this.masks.subarray(i * this.plane, (i + 1) * this.plane);
  }

  private grow(): void {
    const capacity = this.labels.length * 2;
    const maps = new Float32Array(capacity * this.plane);
    maps.set(this.maps);
    this.maps = maps;
    const masks = new Uint8Array(capacity * this.plane);
    masks.set(this.masks);
    this.masks = masks;
    const labels = new Uint8Array(capacity);
    labels.set(this.labels);
    this.labels = labels;
    const scores = new Float32Array(capacity);
    scores.set(this.scores);
    this.scores = scores;
  }
}
