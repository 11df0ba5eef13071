// The CLIP vision tower with AA-CLIP's image adapters and patch-token taps (DESIGN.md, "Exact
// behaviour of the reference"):
//   patchify (conv1 without bias) → [CLS; patches] + position embedding (interpolated to the run
//   size) → ln_pre → blocks, each of the first `imageAdaptUntil` followed by a residual adapter →
//   at each level (1-based block number): drop CLS, ln_post (shared) and project.
// Adapted: seg_proj[k] (bias-free linear) then L2-normalise per token; det token = det_proj on the
// last level's ln_post'd tokens, L2-normalised per token, then the MEAN over tokens (the reference
// does not re-normalise it).
// Plain CLIP: tokens through ln_post @ visual.proj, L2-normalised; det token = the CLS token after
// the last block through ln_post @ visual.proj, L2-normalised.
import type { AaclipSettings } from '../../config/aaclipSettings.js';
import type { ClipModelConfig } from '../../config/modelConfig.js';
import { visionGrid, visionHeads } from '../../config/modelConfig.js';
import type { Tensor, TensorMap } from '../../tensor/tensor.js';
import { GraphBuilder } from '../graphBuilder.js';
import type { Graph } from '../ir.js';
import { interpolatePositionEmbedding } from './positionEmbedding.js';
import { residualAdapter } from './residualAdapter.js';
import { TowerWeights } from './towerWeights.js';
import { layerNorm, transformerBlock } from './transformerBlock.js';

export const VISION_INPUT = 'pixel_values';
export const segTokensOutput = (level: number): string => `seg_tokens_${level}`;
export const DET_TOKEN_OUTPUT = 'det_token';

/** Adapter state-dict keys (the reference's module names, prefixed as in adapters.safetensors). */
export const imageAdapterKey = (block: number): string => `image_adapter.layer_adapters.${block}.fc.0.weight`;
export const segProjKey = (level: number): string => `image_adapter.seg_proj.${level}.fc.weight`;
export const DET_PROJ_KEY = 'image_adapter.det_proj.fc.weight';

/** Large enough to mean "to the end" in a Slice. */
const TO_END = 2 ** 53 - 1;

/** Names the weight sources in error messages. */
export interface WeightSources {
  clip: string;
  adapters: string;
}

export const DEFAULT_WEIGHT_SOURCES: WeightSources = { clip: 'CLIP weights', adapters: 'AA-CLIP adapters' };

/** How the towers are emitted (both choices compute the same function). */
export interface TowerGraphOptions {
  /**
   * Each block's attention as one com.microsoft MultiHeadAttention node (onnxruntime's fused
   * kernel). Default false: plain ONNX ops only, the graph a training pass differentiates.
   */
  fusedAttention?: boolean;
}

/** Where the vision tower reads its weights when appended to a graph. */
export interface VisionTowerSources {
  cfg: ClipModelConfig;
  /** The open_clip vision tensors (float32, shapes checked). */
  clip: TensorMap;
  /** The AA-CLIP image adapters, or null for plain CLIP. */
  adapters: TensorMap | null;
  settings: AaclipSettings;
  sources?: WeightSources;
  options?: TowerGraphOptions;
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
 * segProjKey, DET_PROJ_KEY), so a loss graph built on the same builder keeps them findable.
 */
export function appendVisionTower(g: GraphBuilder, pixels: string, tower: VisionTowerSources): VisionTowerValues {
  const { cfg, clip, adapters, settings } = tower;
  const sources = tower.sources ?? DEFAULT_WEIGHT_SOURCES;
  const fusedAttention = tower.options?.fusedAttention ?? false;
  const w = new TowerWeights(g, clip, sources.clip);
  const a = adapters ? new TowerWeights(g, adapters, sources.adapters) : null;
  const { width, patch_size: patch, layers } = cfg.vision_cfg;
  const heads = visionHeads(cfg);
  const size = settings.imageSize;
  const grid = visionGrid(cfg, size, 'settings.imageSize');
  const tokens = grid * grid;
  const embed = cfg.embed_dim;

  // conv1 with stride = kernel = patch is a matrix product over non-overlapping patches:
  // [B, 3, g·p, g·p] → [B, 3, g, p, g, p] → [B, g, g, 3, p, p] → [B, g², 3p²] @ W[width, 3p²]ᵀ.
  // The patch rows are flattened to [B·g², 3p²] for one Gemm, then viewed as [B, g², width].
  const patches = g.reshape(
    g.transpose(g.reshape(pixels, [-1, 3, grid, patch, grid, patch], 'patches_6d'), [0, 2, 4, 1, 3, 5]),
    [-1, 3 * patch * patch],
    'patches',
  );
  const conv = w.tensor('visual.conv1.weight');
  const convMatrix: Tensor = { dtype: conv.dtype, shape: [width, 3 * patch * patch], data: conv.data };
  const patchEmbeds = g.reshape(g.linearRows(patches, convMatrix, undefined, 'visual.conv1'), [-1, tokens, width], 'patch_embeds');

  // Class token broadcast over the batch: Expand([1, 1, W] → [B, 1, W]).
  const classToken = g.initializer(
    { dtype: 'F32', shape: [1, 1, width], data: w.tensor('visual.class_embedding').data },
    'visual.class_embedding',
  );
  const clsShape =
    tower.batch === undefined ? g.concat([g.shape(pixels, 0, 1), g.int64s([1, width])], 0, 'cls_shape') : g.int64s([tower.batch, 1, width]);
  const withCls = g.concat([g.expand(classToken, clsShape, 'cls_tokens'), patchEmbeds], 1, 'tokens');

  const pos = interpolatePositionEmbedding(w.tensor('visual.positional_embedding'), grid);
  const positioned = g.add(withCls, g.initializer(pos, 'visual.positional_embedding'), 'positioned');
  // From here on the residual stream is 2-D: [B·(g² + 1), width] (see transformerBlock).
  const sequence = tokens + 1;
  let x = layerNorm(g, g.reshape(positioned, [-1, width], 'token_rows'), w, 'visual.ln_pre');

  const levels = settings.levels;
  const lastLevel = levels[levels.length - 1]!;
  // Adapted mode needs blocks up to the last tap only; plain mode's det token is the last block's CLS.
  const blocksToRun = a ? lastLevel : layers;
  const taps: string[] = [];
  for (let i = 0; i < blocksToRun; i++) {
    const prefix = `visual.transformer.resblocks.${i}`;
    x = transformerBlock(g, x, w, { prefix, width, heads, tokens: sequence, quickGelu: cfg.quick_gelu, fusedAttention });
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
    if (levels.includes(i + 1)) {
      const sequences = g.reshape(x, [-1, sequence, width], `level_${taps.length}.sequences`);
      const patchTokens = g.slice(sequences, [1], [TO_END], [1], `level_${taps.length}.patch_tokens`);
      // Patch rows [B·g², width] through ln_post.
      taps.push(layerNorm(g, g.reshape(patchTokens, [-1, width], `level_${taps.length}.patch_rows`), w, 'visual.ln_post'));
    }
  }

  const segTokens = taps.map((tap, k) => {
    const projected = a
      ? g.linearRows(tap, a.value(segProjKey(k)), undefined, `image_adapter.seg_proj.${k}`)
      : g.matmul(tap, w.value('visual.proj'), `level_${k}.proj`);
    return g.reshape(g.l2Normalize(projected, -1), [-1, tokens, embed], `level_${k}.tokens`);
  });

  let det: string;
  if (a) {
    const perToken = g.l2Normalize(g.linearRows(taps[taps.length - 1]!, a.value(DET_PROJ_KEY), undefined, 'image_adapter.det_proj'), -1);
    det = g.reduceMean(g.reshape(perToken, [-1, tokens, embed], 'det_tokens'), [1], false, 'det_mean');
  } else {
    const cls = g.gather(g.reshape(x, [-1, sequence, width], 'final_sequences'), g.int64Scalar(0), 1, 'cls_final');
    det = g.l2Normalize(g.matmul(layerNorm(g, cls, w, 'visual.ln_post'), w.value('visual.proj')), -1);
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
  options: TowerGraphOptions = {},
): Graph {
  const g = new GraphBuilder('aaclip_vision');
  const size = settings.imageSize;
  const pixels = g.input(VISION_INPUT, 'F32', ['batch', 3, size, size]);
  const { segTokens, det } = appendVisionTower(g, pixels, { cfg, clip, adapters, settings, sources, options });
  const tokens = visionGrid(cfg, size, 'settings.imageSize') ** 2;
  segTokens.forEach((value, k) => g.output(value, segTokensOutput(k), 'F32', ['batch', tokens, cfg.embed_dim]));
  g.output(det, DET_TOKEN_OUTPUT, 'F32', ['batch', cfg.embed_dim]);
  return g.build();
}
