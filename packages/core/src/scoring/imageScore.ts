import { AaclipError } from '../errors/aaclipError.js';

/**
 * The reference's image-level score: (det · anchors[:, 1] + 1) / 2 — the detection token's
 * similarity to the anomalous anchor, without the ×100 the maps use.
 * det: [embed]; anchors: [embed, 2] row-major.
 */
export function imageScore(det: Float32Array, anchors: Float32Array, embed: number): number {
  if (det.length !== embed) throw new AaclipError(`has ${det.length} values, expected embed ${embed}`, 'detection token');
  if (anchors.length !== embed * 2) throw new AaclipError(`have ${anchors.length} values, expected [${embed}, 2]`, 'text anchors');
  let dot = 0;
  for (let e = 0; e < embed; e++) dot += det[e]! * anchors[2 * e + 1]!;
  return (dot + 1) / 2;
}
