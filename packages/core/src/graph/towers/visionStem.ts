// The parts of the CLIP vision tower around its blocks, shared by every tower that runs them:
// the stem (patchify → [CLS; patches] + position embedding → ln_pre) and the read-outs (a level's
// patch tokens through ln_post; the final CLS through ln_post @ visual.proj).
import type { ClipModelConfig } from '../../config/modelConfig.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { GraphBuilder } from '../graphBuilder.js';
import { interpolatePositionEmbedding } from './positionEmbedding.js';
import type { TowerWeights } from './towerWeights.js';
import { layerNorm } from './transformerBlock.js';

/** Large enough to mean "to the end" in a Slice. */
const TO_END = 2 ** 53 - 1;

/**
 * The token rows entering block 0, [B·(g² + 1), width] (the residual stream is 2-D, see
 * transformerBlock), from `pixels` [B, 3, g·patch, g·patch]. `batch`, when given, fixes B at build
 * time (training graphs): the class token is then expanded to a constant shape.
 */
export function visionStem(g: GraphBuilder, cfg: ClipModelConfig, w: TowerWeights, pixels: string, grid: number, batch?: number): string {
  const { width, patch_size: patch } = cfg.vision_cfg;
  const tokens = grid * grid;
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
  const classToken = g.initializer({ dtype: 'F32', shape: [1, 1, width], data: w.tensor('visual.class_embedding').data }, 'visual.class_embedding');
  const clsShape = batch === undefined ? g.concat([g.shape(pixels, 0, 1), g.int64s([1, width])], 0, 'cls_shape') : g.int64s([batch, 1, width]);
  const withCls = g.concat([g.expand(classToken, clsShape, 'cls_tokens'), patchEmbeds], 1, 'tokens');

  const pos = interpolatePositionEmbedding(w.tensor('visual.positional_embedding'), grid);
  const positioned = g.add(withCls, g.initializer(pos, 'visual.positional_embedding'), 'positioned');
  return layerNorm(g, g.reshape(positioned, [-1, width], 'token_rows'), w, 'visual.ln_pre');
}

/** A level's patch tokens: drop CLS from the stream [B·(g² + 1), W], ln_post → rows [B·g², W]. */
export function levelPatchRows(g: GraphBuilder, x: string, w: TowerWeights, sequence: number, width: number, name: string): string {
  const sequences = g.reshape(x, [-1, sequence, width], `${name}.sequences`);
  const patchTokens = g.slice(sequences, [1], [TO_END], [1], `${name}.patch_tokens`);
  return layerNorm(g, g.reshape(patchTokens, [-1, width], `${name}.patch_rows`), w, 'visual.ln_post');
}

/** CLIP's image embedding: the stream's CLS token through ln_post @ visual.proj, L2-normalised → [B, embed]. */
export function classImageEmbedding(g: GraphBuilder, x: string, w: TowerWeights, sequence: number, width: number): string {
  const cls = g.gather(g.reshape(x, [-1, sequence, width], 'final_sequences'), g.int64Scalar(0), 1, 'cls_final');
  return g.l2Normalize(g.matmul(layerNorm(g, cls, w, 'visual.ln_post'), w.value('visual.proj')), -1);
}
