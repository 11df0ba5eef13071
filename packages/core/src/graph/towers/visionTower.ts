// The CLIP vision tower with AA-CLIP's image adapters and patch-token taps (DESIGN.md, "Exact
// behaviour of the reference"):
//   patchify (conv1 without bias) → [CLS; patches] + position embedding (interpolated to the run
//   size) → ln_pre → blocks, each of the first `imageAdaptUntil` followed by a residual adapter →
//   at each level (1-based block number): drop CLS, ln_post (shared) and project.
// Adapted: seg_proj[k] (bias-free linear) then L2-normalise per token; det token = det_proj on the
// last level's ln_post'd tokens, L2-normalised per token, then the MEAN over tokens (the reference
// does not re-normalise it). Adapters of the reference's --relu variant (projections stored as
// `fc.0.weight`, see adapterVariant.ts) put a LeakyReLU after each seg/det projection.
// Plain CLIP: tokens through ln_post @ visual.proj, L2-normalised; det token = the CLS token after
// the last block through ln_post @ visual.proj, L2-normalised.
import type { AaclipSettings } from '../../config/aaclipSettings.js';
import type { ClipModelConfig } from '../../config/modelConfig.js';
import { visionGrid, visionHeads } from '../../config/modelConfig.js';
import type { TensorMap } from '../../tensor/tensor.js';
import { detProjKey, projectionActivation, segProjKey } from '../../weights/adapterVariant.js';
import { GraphBuilder } from '../graphBuilder.js';
import type { Graph } from '../ir.js';
import { residualAdapter } from './residualAdapter.js';
import { TowerWeights } from './towerWeights.js';
import { transformerBlock } from './transformerBlock.js';
import { classImageEmbedding, levelPatchRows, visionStem } from './visionStem.js';

export const VISION_INPUT = 'pixel_values';
export const segTokensOutput = (level: number): string => `seg_tokens_${level}`;
export const DET_TOKEN_OUTPUT = 'det_token';

/** Adapter state-dict keys (the reference's module names, prefixed as in adapters.safetensors). */
export const imageAdapterKey = (block: number): string => `image_adapter.layer_adapters.${block}.fc.0.weight`;
export { segProjKey };
/** The det projection's key in the plain (paper) form; detProjKey('leaky-relu') gives the --relu one. */
export const DET_PROJ_KEY = detProjKey('none');

/** Names the weight sources in error messages. */
export interface WeightSources {
  clip: string;
  adapters: string;
}

export const DEFAULT_WEIGHT_SOURCES: WeightSources = { clip: 'CLIP weights', adapters: 'AA-CLIP adapters' };

/** Where a tower reads its weights when appended to a graph. */
export interface TowerSources {
  cfg: ClipModelConfig;
  /** The open_clip tensors of the tower (float32, shapes checked). */
  clip: TensorMap;
  /** The tower's AA-CLIP adapters, or null for plain CLIP. */
  adapters: TensorMap | null;
  settings: AaclipSettings;
  sources?: WeightSources;
}

/** Where the vision tower reads its weights when appended to a graph. */
export interface VisionTowerSources extends TowerSources {
  /**
   * A batch size fixed at build time (training graphs): the class token is then expanded to a
   * constant shape instead of one read from the input at run time.
   */
  batch?: number;
}

/** The values the appended vision tower produces. */
export interface VisionTowerValues {
  /** Per level, the L2-normalised patch tokens [batch, g², embed]. */
  segTokens: string[];
  /** The detection token [batch, embed]. */
  det: string;
}

/**
 * Appends the vision tower to `g`, reading `pixels` [batch, 3, S, S] (S = settings.imageSize).
 * Weights become initializers named by their state-dict keys (adapters under imageAdapterKey,
 * segProjKey, detProjKey, in the form the adapters' keys show), so a loss graph built on the
 * same builder keeps them findable.
 */
export function appendVisionTower(g: GraphBuilder, pixels: string, tower: VisionTowerSources): VisionTowerValues {
  const { cfg, clip, adapters, settings } = tower;
  const sources = tower.sources ?? DEFAULT_WEIGHT_SOURCES;
  const w = new TowerWeights(g, clip, sources.clip);
  const a = adapters ? new TowerWeights(g, adapters, sources.adapters) : null;
  const { width, layers } = cfg.vision_cfg;
  const heads = visionHeads(cfg);
  const size = settings.imageSize;
  const grid = visionGrid(cfg, size, 'settings.imageSize');
  const tokens = grid * grid;
  const embed = cfg.embed_dim;

  // The residual stream is 2-D: [B·(g² + 1), width] (see transformerBlock).
  const sequence = tokens + 1;
  let x = visionStem(g, cfg, w, pixels, grid, tower.batch);

  const levels = settings.levels;
  const lastLevel = levels[levels.length - 1]!;
  // Adapted mode needs blocks up to the last tap only; plain mode's det token is the last block's CLS.
  const blocksToRun = a ? lastLevel : layers;
  const taps: string[] = [];
  for (let i = 0; i < blocksToRun; i++) {
    const prefix = `visual.transformer.resblocks.${i}`;
    x = transformerBlock(g, x, w, { prefix, width, heads, tokens: sequence, quickGelu: cfg.quick_gelu });
    if (a && i < settings.imageAdaptUntil) {
      x = residualAdapter(
        g,
        x,
        a.value(imageAdapterKey(i)),
        settings.adapterLeakySlope,
        settings.imageResidualWeight,
        `image_adapter.layer_adapters.${i}`,
      );
    }
    if (levels.includes(i + 1)) taps.push(levelPatchRows(g, x, w, sequence, width, `level_${taps.length}`));
  }

  // The adapters' keys tell the projection form; the --relu variant adds a LeakyReLU after each.
  const activation = adapters ? projectionActivation(adapters, sources.adapters) : 'none';
  const project = (rows: string, key: string, name: string): string => {
    const linear = g.linearRows(rows, a!.value(key), undefined, name);
    return activation === 'leaky-relu' ? g.leakyRelu(linear, settings.adapterLeakySlope, `${name}.act`) : linear;
  };
  const segTokens = taps.map((tap, k) => {
    const projected = a
      ? project(tap, segProjKey(k, activation), `image_adapter.seg_proj.${k}`)
      : g.matmul(tap, w.value('visual.proj'), `level_${k}.proj`);
    return g.reshape(g.l2Normalize(projected, -1), [-1, tokens, embed], `level_${k}.tokens`);
  });

  let det: string;
  if (a) {
    const perToken = g.l2Normalize(project(taps[taps.length - 1]!, detProjKey(activation), 'image_adapter.det_proj'), -1);
    det = g.reduceMean(g.reshape(perToken, [-1, tokens, embed], 'det_tokens'), [1], false, 'det_mean');
  } else {
    det = classImageEmbedding(g, x, w, sequence, width);
  }
  return { segTokens, det };
}

/**
 * Builds the vision graph. `clip` holds the open_clip tensors (float32, shapes checked);
 * `adapters` the AA-CLIP adapters, or null for plain CLIP.
 */
export function buildVisionGraph(
  cfg: ClipModelConfig,
  clip: TensorMap,
  adapters: TensorMap | null,
  settings: AaclipSettings,
  sources: WeightSources = DEFAULT_WEIGHT_SOURCES,
): Graph {
  const g = new GraphBuilder('aaclip_vision');
  const size = settings.imageSize;
  const pixels = g.input(VISION_INPUT, 'F32', ['batch', 3, size, size]);
  const { segTokens, det } = appendVisionTower(g, pixels, { cfg, clip, adapters, settings, sources });
  const tokens = visionGrid(cfg, size, 'settings.imageSize') ** 2;
  segTokens.forEach((value, k) => g.output(value, segTokensOutput(k), 'F32', ['batch', tokens, cfg.embed_dim]));
  g.output(det, DET_TOKEN_OUTPUT, 'F32', ['batch', cfg.embed_dim]);
  return g.build();
}
