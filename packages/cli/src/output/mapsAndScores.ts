import path from 'node:path';
import { writeSafetensors, type TensorMap } from '@aaclip/core';
import { writeFileAtomic } from '@aaclip/backend-node/node-io';
import { mapKey } from './detectOutputNames.js';

/** One scored image as detect's output files record it. */
export interface ScoredImageResult {
  readonly image: string;
  readonly imageScore: number;
  readonly pixelMax: number;
  /** Side S of the map. */
  readonly imageSize: number;
  /** Row-major [S, S] float32. */
  readonly anomalyMap: Float32Array;
}

/**
 * Writes `<outDir>/maps.safetensors` (one F32 [S,S] map per image, keyed by mapKey, with the
 * class name in the metadata) and then `<outDir>/scores.json` ([{image, image_score, pixel_max}]),
 * each atomically: scores.json appears only once the maps are complete. Used by detect, submit and collect.
 */
export async function writeMapsAndScores(outDir: string, scored: readonly ScoredImageResult[], className: string): Promise<void> {
  const maps: TensorMap = new Map();
  for (const s of scored) maps.set(mapKey(s.image), { dtype: 'F32', shape: [s.imageSize, s.imageSize], data: s.anomalyMap });
  await writeFileAtomic(path.join(outDir, 'maps.safetensors'), writeSafetensors(maps, { format: 'aaclip-anomaly-maps', class_name: className }));
  const scores = scored.map((s) => ({ image: s.image, image_score: s.imageScore, pixel_max: s.pixelMax }));
  await writeFileAtomic(path.join(outDir, 'scores.json'), JSON.stringify(scores, null, 2) + '\n');
}
