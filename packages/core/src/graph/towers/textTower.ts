// The CLIP text tower with AA-CLIP's text adapters (DESIGN.md, "Exact behaviour of the reference"):
//   token embedding (Gather) + positional embedding → blocks with a causal mask, each of the first
//   `textAdaptUntil` followed by a residual adapter → the EOT token (the argmax of the ids) →
//   ln_final → adapted: LeakyReLU(W_t x) (bias-free) INSTEAD of text_projection; plain: x @ text_projection.
// The output is not normalised.
import type { AaclipSettings } from '../../config/aaclipSettings.js';
import type { ClipModelConfig } from '../../config/modelConfig.js';
import type { TensorMap } from '../../tensor/tensor.js';
import { GraphBuilder } from '../graphBuilder.js';
import type { Graph } from '../ir.js';
import { residualAdapter } from './residualAdapter.js';
import { TowerWeights } from './towerWeights.js';
import { layerNorm, transformerBlock } from './transformerBlock.js';
import type { TowerSources, WeightSources } from './visionTower.js';
import { DEFAULT_WEIGHT_SOURCES } from './visionTower.js';

export const TEXT_INPUT = 'input_ids';
export const TEXT_OUTPUT = 'text_embeds';

export const textAdapterKey = (index: number): string => `text_adapter.${index}.fc.0.weight`;

/** open_clip's causal mask: 0 on and below the diagonal, −∞ above, added to the attention scores. */
export function causalMask(length: number): Float32Array {
  const mask = new Float32Array(length * length);
  for (let i = 0; i < length; i++) {
    for (let j = i + 1; j < length; j++) mask[i * length + j] = -Infinity;
  }
  return mask;
}

/** Where the text tower reads its weights when appended to a graph (null adapters: plain CLIP's text_projection). */
export type TextTowerSources = TowerSources;

/**
 * Appends the text tower to `g`, reading token ids from the int64 value `ids` [n, context_length];
 * returns the value holding the (unnormalised) text embeddings [n, embed]. Weights become
 * initializers named by their state-dict keys (adapters under `textAdapterKey`), so a loss graph
 * built on the same builder keeps the trainable weights findable.
 */
export function appendTextTower(g: GraphBuilder, ids: string, tower: TextTowerSources): string {
  const { cfg, clip, adapters, settings } = tower;
  const sources = tower.sources ?? DEFAULT_WEIGHT_SOURCES;
  const w = new TowerWeights(g, clip, sources.clip);
  const a = adapters ? new TowerWeights(g, adapters, sources.adapters) : null;
  const { width, heads, layers, context_length: length } = cfg.text_cfg;

  const embedded = g.gather(w.value('token_embedding.weight'), ids, 0, 'token_embeds');
  // The residual stream is 2-D, [n·L, width] (see transformerBlock).
  let x = g.reshape(g.add(embedded, w.value('positional_embedding'), 'positioned'), [-1, width], 'token_rows');
  const mask = g.initializer({ dtype: 'F32', shape: [length, length], data: causalMask(length) }, 'causal_mask');
  for (let i = 0; i < layers; i++) {
    x = transformerBlock(g, x, w, {
      prefix: `transformer.resblocks.${i}`,
      width,
      heads,
      tokens: length,
      quickGelu: cfg.quick_gelu,
      attentionMask: mask,
    });
    if (a && i < settings.textAdaptUntil) {
      x = residualAdapter(g, x, a.value(textAdapterKey(i)), settings.adapterLeakySlope, settings.textResidualWeight, `text_adapter.${i}`);
    }
  }

  // EOT token = the first position holding the largest id. ArgMax runs on float ids (ids < 2^24
  // are exact; onnxruntime's ArgMax has no int64 kernel); the selection is a one-hot row times the
  // token matrix, which picks the row exactly.
  const eot = g.argMax(g.cast(ids, 'F32'), 1, true, 'eot_position'); // [n, 1]
  const positions = g.int64s(Array.from({ length }, (_, i) => i));
  const oneHot = g.unsqueeze(g.cast(g.equal(eot, positions), 'F32'), [1], 'eot_one_hot'); // [n, 1, L]
  const sequences = g.reshape(x, [-1, length, width], 'sequences'); // [n, L, W]
  const eotToken = g.reshape(g.matmul(oneHot, sequences), [0, width], 'eot_token'); // [n, W]
  const normed = layerNorm(g, eotToken, w, 'ln_final');

  return a
    ? g.leakyRelu(
        g.linearRows(normed, a.value(textAdapterKey(settings.textAdaptUntil)), undefined, `text_adapter.${settings.textAdaptUntil}`),
        settings.adapterLeakySlope,
        'adapted_projection',
      )
    : g.matmul(normed, w.value('text_projection'), 'text_projection_out');
}

export function buildTextGraph(
  cfg: ClipModelConfig,
  clip: TensorMap,
  adapters: TensorMap | null,
  settings: AaclipSettings,
  sources: WeightSources = DEFAULT_WEIGHT_SOURCES,
): Graph {
  const g = new GraphBuilder('aaclip_text');
  const ids = g.input(TEXT_INPUT, 'I64', ['n', cfg.text_cfg.context_length]);
  const embeds = appendTextTower(g, ids, { cfg, clip, adapters, settings, sources });
  g.output(embeds, TEXT_OUTPUT, 'F32', ['n', cfg.embed_dim]);
  return g.build();
}
