import { AuproAccumulator } from './aupro.js';
import type { AuproOptions, MapStackShape } from './aupro.js';
import { binaryMetricsWith } from './binaryMetrics.js';
import type { BinaryMetrics, BinaryMetricsOptions } from './binaryMetrics.js';

export interface PixelMetricsOptions extends BinaryMetricsOptions, Omit<AuproOptions, 'source'> {
  /** Compute AUPRO too (default true). */
  readonly aupro?: boolean;
}

export interface PixelMetrics extends BinaryMetrics {
  /** Null when not asked for, or without ground-truth regions or normal pixels. */
  readonly aupro: number | null;
}

/**
 * Pixel AUROC, AP, F1-max and AUPRO of a stack of maps against binary masks (`!= 0` is
 * anomalous), all from one pass over the distinct scores.
 */
export function pixelMetrics(
  maps: Float32Array,
  masks: Uint8Array,
  shape: MapStackShape,
  options: PixelMetricsOptions = {},
): PixelMetrics {
  const source = options.source ?? 'maps';
  const pro = options.aupro === false ? null : new AuproAccumulator(maps, masks, shape, { ...options, source });
  const metrics = binaryMetricsWith(maps, masks, { ...options, source }, pro ? [pro] : []);
  return { ...metrics, aupro: pro ? pro.result() : null };
}
