// Stage 2 (image adapters) as one forward graph: the adapted vision tower (plain attention, so
// every op has a gradient rule) over the images, the detection cross-entropy against each image's
// fixed anchors, plus the seg loss of every level. Trainable: the image adapters
// (`image_adapter.layer_adapters.{i}.fc.0.weight`, `image_adapter.seg_proj.{k}.fc.weight`,
// `image_adapter.det_proj.fc.weight`), initializers named by their state-dict keys.
import { visionGrid } from '../../config/modelConfig.js';
import { GraphBuilder } from '../../graph/graphBuilder.js';
import type { Graph } from '../../graph/ir.js';
import { appendVisionTower } from '../../graph/towers/visionTower.js';
import { detectionCrossEntropy } from '../losses/crossEntropyLoss.js';
import { segmentationLoss } from '../losses/segmentationLoss.js';
import { sumOfTerms } from '../losses/sumOfTerms.js';
import {
  ANCHORS_INPUT,
  CROSS_ENTROPY_LOSS_OUTPUT,
  LABEL_ONE_HOT_INPUT,
  LOSS_OUTPUT,
  MASKS_INPUT,
  PIXELS_INPUT,
  checkPositiveInteger,
  diceLossOutput,
  focalLossOutput,
} from './stageIo.js';
import type { StageLossModel } from './stageIo.js';
import { checkedStageWeights } from './stageWeights.js';

const SOURCE = 'image stage loss graph';

/**
 * Inputs: `pixel_values` F32 [B, 3, S, S]; `anchors` F32 [B, E, 2]; `label_one_hot` F32 [B, 2];
 * `masks` F32 [B, S, S] (0/1).
 * Outputs: `loss` F32 [] = ce + Σ_k (focal_k + dice_k) over every level; `loss_ce`,
 * `loss_focal_{k}`, `loss_dice_{k}` F32 [].
 */
export function buildImageStageLossGraph(model: StageLossModel): Graph {
  const { config, settings, training, batchSize: batch } = model;
  checkPositiveInteger(batch, 'batchSize', SOURCE);
  const { clip, adapters, sources } = checkedStageWeights(model, 'vision');

  const embed = config.embed_dim;
  const size = settings.imageSize;
  const grid = visionGrid(config, size, 'settings.imageSize');
  const g = new GraphBuilder('aaclip_image_stage_loss');

  const pixels = g.input(PIXELS_INPUT, 'F32', [batch, 3, size, size]);
  const anchors = g.input(ANCHORS_INPUT, 'F32', [batch, embed, 2]);
  const labels = g.input(LABEL_ONE_HOT_INPUT, 'F32', [batch, 2]);
  const masks = g.input(MASKS_INPUT, 'F32', [batch, size, size]);

  const { segTokens, det } = appendVisionTower(g, pixels, { cfg: config, clip, adapters, settings, sources, batch });
  const crossEntropy = detectionCrossEntropy(g, det, anchors, labels, batch);
  g.output(crossEntropy, CROSS_ENTROPY_LOSS_OUTPUT, 'F32', []);

  const shape = { batch, grid, imageSize: size, similarityScale: settings.similarityScale };
  const terms = [crossEntropy];
  segTokens.forEach((tokens, k) => {
    const level = segmentationLoss(g, tokens, anchors, masks, shape, training.segmentationLoss, `level_${k}`);
    g.output(level.focal, focalLossOutput(k), 'F32', []);
    g.output(level.dice, diceLossOutput(k), 'F32', []);
    terms.push(level.total);
  });
  g.output(sumOfTerms(g, terms), LOSS_OUTPUT, 'F32', []);
  return g.build();
}
