// The reference's BinaryDiceLoss: 1 − mean over the batch of (2·Σxy + smooth) / (Σx + Σy + smooth),
// the sums taken per image.
import type { GraphBuilder } from '../../graph/graphBuilder.js';

/** Dice loss of `x` against `y`, both [B, S, S]; returns a scalar value (shape []). */
export function diceLoss(g: GraphBuilder, x: string, y: string, smooth: number, name = 'dice'): string {
  const perImage = (v: string): string => g.reduceSum(v, [1, 2], false); // [B]
  const intersection = perImage(g.mul(x, y));
  const numerator = g.add(g.mul(intersection, g.scalar(2)), g.scalar(smooth));
  const denominator = g.add(g.add(perImage(x), perImage(y)), g.scalar(smooth));
  const coefficient = g.reduceMean(g.div(numerator, denominator, `${name}.per_image`), [0], false);
  return g.sub(g.scalar(1), coefficient, name);
}
