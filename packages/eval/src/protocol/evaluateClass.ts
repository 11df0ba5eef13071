import { AaclipError } from '@aaclip/core';
import type { Domain } from '@aaclip/core';
import { binaryMetrics } from '../metrics/binaryMetrics.js';
import type { Connectivity } from '../metrics/connectedComponents.js';
import type { Curve } from '../metrics/curves.js';
import { pixelMetrics } from '../metrics/pixelMetrics.js';
import type { ClassMetrics } from './classMetrics.js';
import { minMaxNormaliseInPlace } from './minMaxNormalise.js';
import type { ValueRange } from './minMaxNormalise.js';

/** One class's predictions at the evaluation size, stacked image after image. */
export interface ClassPredictions {
  readonly className: string;
  readonly domain: Domain;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  /** count×height×width raw anomaly maps. */
  readonly maps: Float32Array;
  /** count×height×width ground truth, `!= 0` is anomalous (see core's binaryMaskNearest). */
  readonly masks: Uint8Array;
  /** count image labels, `!= 0` is anomalous. */
  readonly labels: Uint8Array;
  /** count raw image scores of the detector. */
  readonly imageScores: Float32Array;
  /** Optional names of the images (errors and reports use them). */
  readonly ids?: readonly string[];
}

export interface EvaluateClassOptions {
  /** Compute pixel AUPRO (default true). */
  readonly aupro?: boolean;
  readonly fprLimit?: number;
  readonly connectivity?: Connectivity;
  /** Record ROC/PR curves (default true). */
  readonly curves?: boolean;
  readonly curveResolution?: number;
  /** Normalise `maps` in place instead of on a copy (saves a copy of the maps; default false). */
  readonly inPlace?: boolean;
}

export interface ClassCurves {
  readonly pixelRoc: Curve | null;
  readonly pixelPr: Curve | null;
  readonly imageRoc: Curve | null;
  readonly imagePr: Curve | null;
}

/** Per image after the protocol: the score that was ranked and the normalised map's maximum. */
export interface ScoredImage {
  readonly id: string;
  readonly label: number;
  readonly score: number;
  readonly mapMax: number;
}

export interface ClassEvaluation {
  readonly className: string;
  readonly domain: Domain;
  readonly count: number;
  readonly metrics: ClassMetrics;
  readonly curves: ClassCurves;
  readonly images: ScoredImage[];
  readonly normalisation: { readonly map: ValueRange; readonly imageScore: ValueRange };
  readonly pixels: { readonly positives: number; readonly negatives: number };
}

/**
 * The AA-CLIP evaluation protocol for one class: the maps and the image scores are min–max
 * normalised over the class (float32, as the reference); each image's score becomes
 * 0.5·max(normalised map) + 0.5·normalised image score for industrial sets and max(normalised map)
 * for medical ones; pixel metrics over every pixel of every map, image metrics over the labels.
 * Metrics that are undefined for the data (one label value; no anomalous or no normal pixel) are null.
 */
export function evaluateClass(predictions: ClassPredictions, options: EvaluateClassOptions = {}): ClassEvaluation {
  const { className, domain, count, height, width, labels, masks } = predictions;
  const plane = height * width;
  const source = `class ${className}`;
  if (predictions.maps.length !== count * plane) {
    throw new AaclipError(`maps hold ${predictions.maps.length} values, ${count}×${height}×${width} needs ${count * plane}`, source);
  }
  if (masks.length !== count * plane) {
    throw new AaclipError(`masks hold ${masks.length} values, ${count}×${height}×${width} needs ${count * plane}`, source);
  }
  if (labels.length !== count || predictions.imageScores.length !== count) {
    throw new AaclipError(`${count} maps but ${labels.length} labels and ${predictions.imageScores.length} image scores`, source);
  }
  if (domain !== 'industrial' && domain !== 'medical') {
    throw new AaclipError(`domain must be "industrial" or "medical", got ${JSON.stringify(domain)}`, source);
  }
  const idOf = (i: number): string => predictions.ids?.[i] ?? `image ${i}`;
  const pixelAt = (index: number): string => {
    const image = Math.floor(index / plane);
    const p = index - image * plane;
    return `the anomaly map of ${idOf(image)} at (x ${p % width}, y ${Math.floor(p / width)})`;
  };

  const maps = options.inPlace ? predictions.maps : predictions.maps.slice();
  const mapRange = minMaxNormaliseInPlace(maps, source, pixelAt);
  const imageScores = predictions.imageScores.slice();
  const scoreRange = minMaxNormaliseInPlace(imageScores, source, (i) => `the image score of ${idOf(i)}`);

  // Image score: float32 arithmetic as the reference's NumPy code (×0.5 is exact).
  const combined = new Float32Array(count);
  const mapMax = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let m = -Infinity;
    for (let p = i * plane, end = p + plane; p < end; p++) if (maps[p]! > m) m = maps[p]!;
    mapMax[i] = m;
    combined[i] = domain === 'medical' ? m : m * 0.5 + imageScores[i]! * 0.5;
  }

  const curves = options.curves ?? true;
  const pixel = pixelMetrics(maps, masks, { count, height, width }, {
    aupro: options.aupro ?? true,
    fprLimit: options.fprLimit,
    connectivity: options.connectivity,
    curves,
    curveResolution: options.curveResolution,
    source,
  });
  const image = binaryMetrics(combined, labels, { curves, curveResolution: options.curveResolution, source });

  return {
    className,
    domain,
    count,
    metrics: {
      pixel_auroc: pixel.auroc,
      pixel_ap: pixel.averagePrecision,
      pixel_aupro: pixel.aupro,
      pixel_f1max: pixel.f1Max,
      image_auroc: image.auroc,
      image_ap: image.averagePrecision,
      image_f1max: image.f1Max,
    },
    curves: {
      pixelRoc: pixel.roc ?? null,
      pixelPr: pixel.pr ?? null,
      imageRoc: image.roc ?? null,
      imagePr: image.pr ?? null,
    },
    images: Array.from({ length: count }, (_, i) => ({
      id: idOf(i),
      label: labels[i]! !== 0 ? 1 : 0,
      score: combined[i]!,
      mapMax: mapMax[i]!,
    })),
    normalisation: { map: mapRange, imageScore: scoreRange },
    pixels: { positives: pixel.positives, negatives: pixel.negatives },
  };
}
