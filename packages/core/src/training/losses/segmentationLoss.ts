// The segmentation loss of one level (DESIGN.md, "Training"):
//   s = scale · tokens @ anchors → [B, L, 2] → [B, 2, g, g] → bilinear upsampling to S×S
//   (align_corners) → softmax over the 2 channels → focal(p, mask) + Dice(p_normal, 1 − mask)
//   + Dice(p_anomalous, mask).
import type { SegmentationLossSettings } from '../../config/trainingSettings.js';
import type { GraphBuilder } from '../../graph/graphBuilder.js';
import { upsampleBilinearAlignCorners } from './bilinearUpsampling.js';
import { diceLoss } from './diceLoss.js';
import { focalLoss } from './focalLoss.js';

export interface SegmentationLossShape {
  batch: number;
  /** Side of the token grid (g; the level has g² tokens). */
  grid: number;
  /** Side of the image and mask (S). */
  imageSize: number;
  /** Patch/anchor similarities are multiplied by this (AaclipSettings.similarityScale). */
  similarityScale: number;
}

export interface SegmentationLossValues {
  /** focal + both Dice terms, shape []. */
  total: string;
  focal: string;
  /** Dice(p_normal, 1 − mask) + Dice(p_anomalous, mask), shape []. */
  dice: string;
}

/**
 * The seg loss of one level. `tokens` [B, g², E] (patch features, one row per token in row-major
 * grid order), `anchors` [B, E, 2] (column 0 normal, 1 anomalous), `masks` [B, S, S] with values
 * 0/1 (no gradient).
 */
export function segmentationLoss(
  g: GraphBuilder,
  tokens: string,
  anchors: string,
  masks: string,
  shape: SegmentationLossShape,
  loss: SegmentationLossSettings,
  name: string,
): SegmentationLossValues {
  const { batch, grid, imageSize } = shape;
  const similarity = g.mul(g.matmul(tokens, anchors), g.scalar(shape.similarityScale), `${name}.similarity`); // [B, g², 2]
  const maps = g.reshape(g.transpose(similarity, [0, 2, 1]), [batch, 2, grid, grid], `${name}.maps`);
  const upsampled = upsampleBilinearAlignCorners(g, maps, grid, imageSize, `${name}.upsampled`); // [B, 2, S, S]
  const probs = g.softmax(upsampled, 1, `${name}.probs`);

  const focal = focalLoss(g, probs, masks, loss.focalGamma, loss.focalSmooth, `${name}.focal`);
  const channel = (c: number, label: string): string => g.gather(probs, g.int64Scalar(c), 1, `${name}.p_${label}`);
  const normalDice = diceLoss(g, channel(0, 'normal'), g.sub(g.scalar(1), masks), loss.diceSmooth, `${name}.dice_normal`);
  const anomalousDice = diceLoss(g, channel(1, 'anomalous'), masks, loss.diceSmooth, `${name}.dice_anomalous`);
  const dice = g.add(normalDice, anomalousDice, `${name}.dice`);
  return { total: g.add(focal, dice, `${name}.total`), focal, dice };
}
