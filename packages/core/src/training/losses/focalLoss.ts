// The reference's FocalLoss (from AnomalyCLIP) on 2-channel probabilities, with alpha = 1:
//   q  = one-hot(target) clamped to [smooth / (classes − 1), 1 − smooth]
//   pt = Σ_c q_c · p_c + smooth          (smooth is added to pt as well)
//   loss = mean over every pixel of −(1 − pt)^γ · log(pt)
import { AaclipError } from '../../errors/aaclipError.js';
import type { GraphBuilder } from '../../graph/graphBuilder.js';

const CLASSES = 2;

/** (1 − pt)^γ without Pow: repeated products for an integer γ, exp(γ·log(1 − pt)) otherwise. */
function modulatingFactor(g: GraphBuilder, oneMinusPt: string, gamma: number, name: string): string {
  if (Number.isInteger(gamma) && gamma >= 0) {
    if (gamma === 0) return g.scalar(1);
    let factor = oneMinusPt;
    for (let i = 1; i < gamma; i++) factor = g.mul(factor, oneMinusPt, i === gamma - 1 ? name : undefined);
    return factor;
  }
  if (!(gamma > 0)) throw new AaclipError(`focal gamma must be non-negative, got ${gamma}`, 'segmentation loss');
  return g.node('Exp', [g.mul(g.node('Log', [oneMinusPt]), g.scalar(gamma))], {}, { name });
}

/**
 * Focal loss of `probs` [B, 2, S, S] (channel 0 normal, 1 anomalous) against `masks` [B, S, S]
 * (0 normal, 1 anomalous; no gradient). Returns a scalar value (shape []).
 */
export function focalLoss(g: GraphBuilder, probs: string, masks: string, gamma: number, smooth: number, name = 'focal'): string {
  // The clamped one-hot target [B, 2, S, S], built from the mask (off the gradient path).
  const anomalous = g.unsqueeze(masks, [1]);
  const oneHot = g.concat([g.sub(g.scalar(1), anomalous), anomalous], 1, `${name}.one_hot`);
  const target = g.node('Clip', [oneHot, g.scalar(smooth / (CLASSES - 1)), g.scalar(1 - smooth)], {}, { name: `${name}.target` });

  const pt = g.add(g.reduceSum(g.mul(target, probs), [1], false), g.scalar(smooth), `${name}.pt`); // [B, S, S]
  const factor = modulatingFactor(g, g.sub(g.scalar(1), pt, `${name}.one_minus_pt`), gamma, `${name}.factor`);
  const perPixel = g.mul(factor, g.node('Log', [pt], {}, { name: `${name}.log_pt` }), `${name}.per_pixel`);
  return g.node('Neg', [g.reduceMean(perPixel, [0, 1, 2], false)], {}, { name });
}
