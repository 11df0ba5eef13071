// PyTorch F.cross_entropy (mean over the batch) on the detection logits det @ anchors (no
// similarity scale in the reference), with the label as a one-hot F32 input so no index Gather is
// needed: −mean_b Σ_c y_bc · log_softmax(logits)_bc.
import type { GraphBuilder } from '../../graph/graphBuilder.js';
import { attrInt } from '../../graph/ir.js';

/**
 * `det` [B, E], `anchors` [B, E, 2], `labelOneHot` [B, 2] (no gradient); returns a scalar value
 * (shape []).
 */
export function detectionCrossEntropy(g: GraphBuilder, det: string, anchors: string, labelOneHot: string, batch: number, name = 'ce'): string {
  const logits = g.reshape(g.matmul(g.unsqueeze(det, [1]), anchors), [batch, 2], `${name}.logits`);
  const logProbs = g.node('LogSoftmax', [logits], { axis: attrInt(-1) }, { name: `${name}.log_probs` });
  const perImage = g.reduceSum(g.mul(labelOneHot, logProbs), [1], false);
  return g.node('Neg', [g.reduceMean(perImage, [0], false)], {}, { name });
}
