// Stage 1's orthogonality penalty: weight · (mean over the batch of anchor_normal · anchor_anomalous)².
// The mean is over the per-image anchors, so a class weighs as often as it appears in the batch.
import type { GraphBuilder } from '../../graph/graphBuilder.js';

/** `anchors` [B, E, 2]; returns a scalar value (shape []). */
export function orthogonalityLoss(g: GraphBuilder, anchors: string, weight: number, name = 'orthogonality'): string {
  const column = (c: number): string => g.gather(anchors, g.int64Scalar(c), 2); // [B, E]
  const dots = g.reduceSum(g.mul(column(0), column(1)), [1], false, `${name}.dots`); // [B]
  const mean = g.reduceMean(dots, [0], false, `${name}.mean`);
  return g.mul(g.mul(mean, mean), g.scalar(weight), name);
}
