// open_clip's ResidualAttentionBlock (pre-norm):
//   x = x + out_proj(MHA(ln_1(x)));  x = x + c_proj(GELU(c_fc(ln_2(x))))
// with q/k/v stacked in in_proj_weight [3W, W], scaled dot-product attention (1/√head_dim) and an
// optional additive attention mask (the text tower's causal mask). LayerNorm eps is 1e-5.
//
// The residual stream is 2-D, [batch·tokens, width]: every Linear is then one Gemm(transB = 1)
// that reads the PyTorch weight as stored and fuses its bias, and only attention needs the
// [batch, heads, tokens, head_dim] view.
import type { GraphBuilder } from '../graphBuilder.js';
import type { TowerWeights } from './towerWeights.js';

export const LAYER_NORM_EPS = 1e-5;

export interface BlockSpec {
  /** State-dict prefix, e.g. "visual.transformer.resblocks.3". */
  prefix: string;
  width: number;
  heads: number;
  /** Tokens per sequence (the stream holds batch·tokens rows). */
  tokens: number;
  quickGelu: boolean;
  /** Additive [tokens, tokens] mask added to every head's attention scores. */
  attentionMask?: string;
}

/**
 * Which of the stacked q, k, v (0, 1, 2) act as query and key; the values are always v. CLIP's
 * attention is q·kᵀ; CLIP-Surgery's "V-V" attention (AA-CLIP's frozen stage-1 feature CLIP) is v·vᵀ.
 */
export interface AttentionRoles {
  query: 0 | 1 | 2;
  key: 0 | 1 | 2;
}
export const QUERY_KEY_ATTENTION: AttentionRoles = { query: 0, key: 1 };
export const VALUE_VALUE_ATTENTION: AttentionRoles = { query: 2, key: 2 };

/** Multi-head self-attention on the [batch·tokens, width] stream (already normalised). */
export function multiHeadAttention(g: GraphBuilder, x: string, weights: TowerWeights, spec: BlockSpec): string {
  const qkv = attentionInProjection(g, x, weights, spec);
  return attentionOutProjection(g, attentionContext(g, qkv, spec), weights, spec);
}

/** The stacked q, k, v of a normalised stream: in_proj with its bias, [B·N, 3W]. */
export function attentionInProjection(g: GraphBuilder, x: string, weights: TowerWeights, spec: BlockSpec): string {
  const p = `${spec.prefix}.attn`;
  return g.linearRows(x, weights.value(`${p}.in_proj_weight`), weights.value(`${p}.in_proj_bias`), `${p}.in_proj`);
}

/** The block's out_proj (with bias) on merged heads [B·N, W]. */
export function attentionOutProjection(g: GraphBuilder, context: string, weights: TowerWeights, spec: BlockSpec): string {
  const p = `${spec.prefix}.attn`;
  return g.linearRows(context, weights.value(`${p}.out_proj.weight`), weights.value(`${p}.out_proj.bias`), `${p}.out_proj`);
}

/**
 * softmax(query·keyᵀ/√head_dim (+ mask))·v per head on the stacked [B·N, 3W] q, k, v, in plain
 * ONNX ops; returns the merged heads [B·N, W] (before out_proj). `p` prefixes the node names.
 * The fuse-attention pass (graph/passes) matches exactly this pattern: change both together.
 */
export function attentionContext(g: GraphBuilder, qkv: string, spec: BlockSpec, roles: AttentionRoles = QUERY_KEY_ATTENTION, p = `${spec.prefix}.attn`): string {
  const { width, heads, tokens } = spec;
  const headDim = width / heads;
  // [B·N, 3W] → [B, N, 3, H, D]; pick q, k, v along axis 2.
  const split = g.reshape(qkv, [-1, tokens, 3, heads, headDim], `${p}.qkv_heads`);
  const part = (i: number, perm: number[], name: string): string =>
    g.transpose(g.gather(split, g.int64Scalar(i), 2), perm, `${p}.${name}`);
  const q = part(roles.query, [0, 2, 1, 3], 'q'); // [B, H, N, D]
  const kT = part(roles.key, [0, 2, 3, 1], 'k_t'); // [B, H, D, N]
  const v = part(2, [0, 2, 1, 3], 'v'); // [B, H, N, D]
  let scores = g.matmul(g.mul(q, g.scalar(1 / Math.sqrt(headDim))), kT, `${p}.scores`);
  if (spec.attentionMask) scores = g.add(scores, spec.attentionMask, `${p}.masked_scores`);
  const probs = g.softmax(scores, -1, `${p}.probs`);
  const context = g.matmul(probs, v, `${p}.context`); // [B, H, N, D]
  return g.reshape(g.transpose(context, [0, 2, 1, 3]), [-1, width], `${p}.merged`);
}

export function transformerBlock(g: GraphBuilder, x: string, weights: TowerWeights, spec: BlockSpec): string {
  const attention = multiHeadAttention(g, layerNorm(g, x, weights, `${spec.prefix}.ln_1`), weights, spec);
  return mlpResidual(g, g.add(x, attention, `${spec.prefix}.attn_residual`), weights, spec);
}

/** The block's second half: x + c_proj(GELU(c_fc(ln_2(x)))). */
export function mlpResidual(g: GraphBuilder, x: string, weights: TowerWeights, spec: BlockSpec): string {
  const { prefix } = spec;
  const hidden = g.linearRows(
    layerNorm(g, x, weights, `${prefix}.ln_2`),
    weights.value(`${prefix}.mlp.c_fc.weight`),
    weights.value(`${prefix}.mlp.c_fc.bias`),
    `${prefix}.mlp.c_fc`,
  );
  const mlp = g.linearRows(
    g.gelu(hidden, spec.quickGelu, `${prefix}.mlp.gelu`),
    weights.value(`${prefix}.mlp.c_proj.weight`),
    weights.value(`${prefix}.mlp.c_proj.bias`),
    `${prefix}.mlp.c_proj`,
  );
  return g.add(x, mlp, `${prefix}.out`);
}

/** LayerNorm (eps 1e-5) with the `${prefix}.weight` / `${prefix}.bias` tensors. */
export function layerNorm(g: GraphBuilder, x: string, weights: TowerWeights, prefix: string): string {
  return g.layerNorm(x, weights.value(`${prefix}.weight`), weights.value(`${prefix}.bias`), LAYER_NORM_EPS, prefix);
}
