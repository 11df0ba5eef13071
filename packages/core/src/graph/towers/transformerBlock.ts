// open_clip's ResidualAttentionBlock (pre-norm):
//   x = x + out_proj(MHA(ln_1(x)));  x = x + c_proj(GELU(c_fc(ln_2(x))))
// with q/k/v stacked in in_proj_weight [3W, W], scaled dot-product attention (1/√head_dim) and an
// optional additive attention mask (the text tower's causal mask). LayerNorm eps is 1e-5.
import type { GraphBuilder } from '../graphBuilder.js';
import type { TowerWeights } from './towerWeights.js';

export const LAYER_NORM_EPS = 1e-5;

export interface BlockSpec {
  /** State-dict prefix, e.g. "visual.transformer.resblocks.3". */
  prefix: string;
  width: number;
  heads: number;
  quickGelu: boolean;
  /** Additive mask value broadcast onto the [batch, heads, tokens, tokens] scores. */
  attentionMask?: string;
}

/** Multi-head self-attention on [batch, tokens, width] (the input already normalised). */
export function multiHeadAttention(g: GraphBuilder, x: string, weights: TowerWeights, spec: BlockSpec): string {
  const { prefix, width, heads } = spec;
  const p = `${prefix}.attn`;
  const headDim = width / heads;
  const qkv = g.linear(
    x,
    weights.tensor(`${p}.in_proj_weight`),
    weights.value(`${p}.in_proj_bias`),
    `${p}.in_proj`,
  );
  // [B, N, 3W] → [B, N, 3, H, D]; pick q, k, v along axis 2.
  const split = g.reshape(qkv, [0, 0, 3, heads, headDim], `${p}.qkv_heads`);
  const part = (i: number, perm: number[], name: string): string =>
    g.transpose(g.gather(split, g.int64Scalar(i), 2), perm, `${p}.${name}`);
  const q = part(0, [0, 2, 1, 3], 'q'); // [B, H, N, D]
  const kT = part(1, [0, 2, 3, 1], 'k_t'); // [B, H, D, N]
  const v = part(2, [0, 2, 1, 3], 'v'); // [B, H, N, D]
  let scores = g.matmul(g.mul(q, g.scalar(1 / Math.sqrt(headDim))), kT, `${p}.scores`);
  if (spec.attentionMask) scores = g.add(scores, spec.attentionMask, `${p}.masked_scores`);
  const probs = g.softmax(scores, -1, `${p}.probs`);
  const context = g.matmul(probs, v, `${p}.context`); // [B, H, N, D]
  const merged = g.reshape(g.transpose(context, [0, 2, 1, 3]), [0, 0, width], `${p}.merged`);
  return g.linear(
    merged,
    weights.tensor(`${p}.out_proj.weight`),
    weights.value(`${p}.out_proj.bias`),
    `${p}.out_proj`,
  );
}

export function transformerBlock(g: GraphBuilder, x: string, weights: TowerWeights, spec: BlockSpec): string {
  const { prefix } = spec;
  const ln = (input: string, which: 'ln_1' | 'ln_2'): string => layerNorm(g, input, weights, `${prefix}.${which}`);
  const afterAttention = g.add(x, multiHeadAttention(g, ln(x, 'ln_1'), weights, spec), `${prefix}.attn_residual`);
  const hidden = g.linear(
    ln(afterAttention, 'ln_2'),
    weights.tensor(`${prefix}.mlp.c_fc.weight`),
    weights.value(`${prefix}.mlp.c_fc.bias`),
    `${prefix}.mlp.c_fc`,
  );
  const mlp = g.linear(
    g.gelu(hidden, spec.quickGelu, `${prefix}.mlp.gelu`),
    weights.tensor(`${prefix}.mlp.c_proj.weight`),
    weights.value(`${prefix}.mlp.c_proj.bias`),
    `${prefix}.mlp.c_proj`,
  );
  return g.add(afterAttention, mlp, `${prefix}.out`);
}

/** LayerNorm (eps 1e-5) with the `${prefix}.weight` / `${prefix}.bias` tensors. */
export function layerNorm(g: GraphBuilder, x: string, weights: TowerWeights, prefix: string): string {
  return g.layerNorm(x, weights.value(`${prefix}.weight`), weights.value(`${prefix}.bias`), LAYER_NORM_EPS, prefix);
}
