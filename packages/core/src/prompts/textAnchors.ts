// Text anchors for one class (reference behaviour): each prompt's embedding L2-normalised, the mean
// over the prompts of each state, L2-normalised again → [embed, 2], column 0 normal, 1 anomalous.
import { AaclipError } from '../errors/aaclipError.js';

/**
 * `textEmbeds` is [normalCount + abnormalCount, embedDim] row-major, the normal prompts first.
 * Returns [embedDim, 2] row-major.
 */
export function computeTextAnchors(
  textEmbeds: Float32Array,
  embedDim: number,
  normalCount: number,
  abnormalCount: number,
): Float32Array {
  if (!Number.isInteger(embedDim) || embedDim < 1) throw new AaclipError(`must be a positive integer, got ${embedDim}`, 'embedDim');
  for (const [field, count] of [['normalCount', normalCount], ['abnormalCount', abnormalCount]] as const) {
    if (!Number.isInteger(count) || count < 1) throw new AaclipError(`must be a positive integer, got ${count}`, field);
  }
  const rows = normalCount + abnormalCount;
  if (textEmbeds.length !== rows * embedDim) {
    throw new AaclipError(`has ${textEmbeds.length} values, ${rows} prompts × ${embedDim} need ${rows * embedDim}`, 'text embeddings');
  }
  const anchors = new Float32Array(embedDim * 2);
  const groups: [number, number][] = [
    [0, normalCount],
    [normalCount, rows],
  ];
  groups.forEach(([begin, end], column) => {
    const mean = new Float64Array(embedDim);
    for (let r = begin; r < end; r++) {
      const row = textEmbeds.subarray(r * embedDim, (r + 1) * embedDim);
      const norm = Math.sqrt(row.reduce((s, v) => s + v * v, 0));
      if (!(norm > 0)) throw new AaclipError(`prompt ${r} has a zero or non-finite embedding`, 'text embeddings');
      for (let c = 0; c < embedDim; c++) mean[c]! += row[c]! / norm / (end - begin);
    }
    const meanNorm = Math.sqrt(mean.reduce((s, v) => s + v * v, 0));
    if (!(meanNorm > 0)) throw new AaclipError(`the mean ${column === 0 ? 'normal' : 'anomalous'} embedding is zero`, 'text embeddings');
    for (let c = 0; c < embedDim; c++) anchors[c * 2 + column] = mean[c]! / meanNorm;
  });
  return anchors;
}
