// AA-CLIP's residual adapter, applied after a whole transformer block (reference behaviour):
//   a = LeakyReLU(W x)            (bias-free, square)
//   a = a · ‖x‖ / ‖a‖             (L2 over channels, per token)
//   x = w·a + (1 − w)·x           (w = 0.1 in the paper)
import type { GraphBuilder } from '../graphBuilder.js';

/**
 * `x` is the [rows, width] token stream; `weight` is a graph value holding W [width, width] in
 * PyTorch layout (an initializer named after the adapter's state-dict key, so a training pass can
 * find it).
 */
export function residualAdapter(
  g: GraphBuilder,
  x: string,
  weight: string,
  leakySlope: number,
  residualWeight: number,
  name: string,
): string {
  const a = g.leakyRelu(g.linearRows(x, weight, undefined, name), leakySlope, `${name}.act`);
  const rescaled = g.div(g.mul(a, g.l2Norm(x, -1)), g.l2Norm(a, -1), `${name}.rescaled`);
  return g.add(g.mul(rescaled, g.scalar(residualWeight)), g.mul(x, g.scalar(1 - residualWeight)), `${name}.out`);
}
