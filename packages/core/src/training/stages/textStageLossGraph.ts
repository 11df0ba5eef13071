// Stage 1 (text adapters) as one forward graph: the adapted text tower over every class's prompts,
// the class anchors, each image's anchors, then the seg loss of the counted levels against frozen
// image features, plus the orthogonality penalty. Trainable: the text adapters
// (`text_adapter.{i}.fc.0.weight`), initializers named by their state-dict keys.
import { visionGrid } from '../../config/modelConfig.js';
import type { Stage1Levels } from '../../config/trainingSettings.js';
import { appendTextTower } from '../../graph/towers/textTower.js';
import { GraphBuilder } from '../../graph/graphBuilder.js';
import type { Graph } from '../../graph/ir.js';
import { orthogonalityLoss } from '../losses/orthogonalityLoss.js';
import { segmentationLoss } from '../losses/segmentationLoss.js';
import { sumOfTerms } from '../losses/sumOfTerms.js';
import type { PromptCounts } from './classAnchors.js';
import { classAnchors, imageAnchors } from './classAnchors.js';
import {
  CLASS_ANCHORS_OUTPUT,
  CLASS_ONE_HOT_INPUT,
  LOSS_OUTPUT,
  MASKS_INPUT,
  ORTHOGONALITY_LOSS_OUTPUT,
  PROMPT_IDS_INPUT,
  checkPositiveInteger,
  diceLossOutput,
  focalLossOutput,
  patchFeaturesInput,
} from './stageIo.js';
import type { StageLossModel } from './stageIo.js';
import { checkedStageWeights } from './stageWeights.js';

const SOURCE = 'text stage loss graph';

export interface TextStageLossModel extends StageLossModel {
  /** Classes in the graph (the rows of input_ids come in C blocks of P prompts). */
  classCount: number;
  /** Prompts per class, as expandPrompts gives them (normal ones first). */
  prompts: PromptCounts;
}

/**
 * The level indices (0-based, into settings.levels) whose seg losses count. The reference
 * reassigns its loss inside the level loop, so only the last level counts ('last', its
 * behaviour); 'all' sums every level as the method intends.
 */
export function countedTextStageLevels(levelCount: number, levels: Stage1Levels): number[] {
  return levels === 'all' ? Array.from({ length: levelCount }, (_, k) => k) : [levelCount - 1];
}

/**
 * Inputs: `input_ids` int64 [C·P, context_length]; `class_one_hot` F32 [B, C];
 * `patch_features_{k}` F32 [B, g², E] for each counted level k (countedTextStageLevels);
 * `masks` F32 [B, S, S] (0/1).
 * Outputs: `loss` F32 [] = Σ_k (focal_k + dice_k) + orthogonality; `loss_focal_{k}`,
 * `loss_dice_{k}`, `loss_orthogonality` F32 []; `class_anchors` F32 [C, E, 2].
 */
export function buildTextStageLossGraph(model: TextStageLossModel): Graph {
  const { config, settings, training, batchSize: batch, classCount: classes, prompts } = model;
  checkPositiveInteger(batch, 'batchSize', SOURCE);
  checkPositiveInteger(classes, 'classCount', SOURCE);
  checkPositiveInteger(prompts.normalCount, 'prompts.normalCount', SOURCE);
  checkPositiveInteger(prompts.abnormalCount, 'prompts.abnormalCount', SOURCE);
  const { clip, adapters, sources } = checkedStageWeights(model, 'text');

  const embed = config.embed_dim;
  const size = settings.imageSize;
  const grid = visionGrid(config, size, 'settings.imageSize');
  const promptCount = prompts.normalCount + prompts.abnormalCount;
  const g = new GraphBuilder('aaclip_text_stage_loss');

  const ids = g.input(PROMPT_IDS_INPUT, 'I64', [classes * promptCount, config.text_cfg.context_length]);
  const classOneHot = g.input(CLASS_ONE_HOT_INPUT, 'F32', [batch, classes]);
  const levels = countedTextStageLevels(settings.levels.length, training.text.levels);
  const features = levels.map((k) => g.input(patchFeaturesInput(k), 'F32', [batch, grid * grid, embed]));
  const masks = g.input(MASKS_INPUT, 'F32', [batch, size, size]);

  const embeds = appendTextTower(g, ids, { cfg: config, clip, adapters, settings, sources });
  const perClass = classAnchors(g, embeds, classes, embed, prompts);
  const anchors = imageAnchors(g, classOneHot, perClass, batch, classes, embed);

  const shape = { batch, grid, imageSize: size, similarityScale: settings.similarityScale };
  const terms: string[] = [];
  levels.forEach((k, i) => {
    const level = segmentationLoss(g, features[i]!, anchors, masks, shape, training.segmentationLoss, `level_${k}`);
    g.output(level.focal, focalLossOutput(k), 'F32', []);
    g.output(level.dice, diceLossOutput(k), 'F32', []);
    terms.push(level.total);
  });
  const orthogonality = orthogonalityLoss(g, anchors, training.text.orthogonalityWeight);
  g.output(orthogonality, ORTHOGONALITY_LOSS_OUTPUT, 'F32', []);
  terms.push(orthogonality);

  g.output(sumOfTerms(g, terms), LOSS_OUTPUT, 'F32', []);
  g.output(perClass, CLASS_ANCHORS_OUTPUT, 'F32', [classes, embed, 2]);
  return g.build();
}
