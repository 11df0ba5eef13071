import { AaclipError } from '../errors/aaclipError.js';

/**
 * One level's patch anomaly map at grid resolution, as the reference computes it:
 * s = scale · tokens @ anchors (→ [L, 2]: similarity to the normal and the anomalous anchor), then
 * m = (s_anomalous + 1 − s_normal) / 2, laid out row-major on the g×g patch grid (token l → row
 * ⌊l / g⌋, column l mod g).
 *
 * tokens: [L = g·g, embed] row-major, L2-normalised patch tokens; anchors: [embed, 2] row-major
 * (column 0 normal, 1 anomalous). Writes into `out` ([g, g]) when given, else allocates.
 */
export function levelAnomalyMap(
  tokens: Float32Array,
  anchors: Float32Array,
  grid: number,
  embed: number,
  scale = 100,
  out?: Float32Array,
): Float32Array {
  if (!Number.isInteger(grid) || grid < 1) throw new AaclipError(`must be a positive integer, got ${grid}`, 'grid');
  if (!Number.isInteger(embed) || embed < 1) throw new AaclipError(`must be a positive integer, got ${embed}`, 'embed');
  const tokenCount = grid * grid;
  if (tokens.length !== tokenCount * embed) {
    throw new AaclipError(
      `have ${tokens.length} values, expected [${tokenCount}, ${embed}] (grid ${grid}×${grid}, embed ${embed})`,
      'patch tokens',
    );
  }
  if (anchors.length !== embed * 2) {
    throw new AaclipError(`have ${anchors.length} values, expected [${embed}, 2]`, 'text anchors');
  }
  const map = out ?? new Float32Array(tokenCount);
  if (map.length !== tokenCount) throw new AaclipError(`has ${map.length} values, expected ${tokenCount}`, 'level map buffer');
  for (let l = 0; l < tokenCount; l++) {
    const row = l * embed;
    let normal = 0;
    let anomalous = 0;
    for (let e = 0; e < embed; e++) {
      const t = tokens[row + e]!;
      normal += t * anchors[2 * e]!;
      anomalous += t * anchors[2 * e + 1]!;
    }
    map[l] = (scale * anomalous + 1 - scale * normal) / 2;
  }
  return map;
}
