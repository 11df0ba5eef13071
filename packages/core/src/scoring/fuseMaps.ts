import { AaclipError } from '../errors/aaclipError.js';

/** The fused anomaly map: the element-wise sum of the level maps (all the same size). */
export function fuseMaps(levelMaps: readonly Float32Array[], out?: Float32Array): Float32Array {
  const first = levelMaps[0];
  if (!first) throw new AaclipError('need at least one map', 'level maps');
  const n = first.length;
  for (const [i, m] of levelMaps.entries()) {
    if (m.length !== n) throw new AaclipError(`map ${i} has ${m.length} values, map 0 has ${n}`, 'level maps');
  }
  const dst = out ?? new Float32Array(n);
  if (dst.length !== n) throw new AaclipError(`has ${dst.length} values, expected ${n}`, 'fused map buffer');
  dst.set(first);
  for (let l = 1; l < levelMaps.length; l++) {
    const m = levelMaps[l]!;
    for (let i = 0; i < n; i++) dst[i]! += m[i]!;
  }
  return dst;
}
