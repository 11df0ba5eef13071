// Fuses the towers' plain scaled dot-product attention into onnxruntime's com.microsoft
// MultiHeadAttention (one kernel that keeps no [heads, tokens, tokens] score tensor on CPU).
//
// The pattern, as transformerBlock's plainAttentionContext emits it on stacked q, k, v [B·N, 3W]:
//   split = Reshape(qkv, [-1, N, 3, H, D])
//   q = Transpose(Gather(split, iq, axis 2), [0, 2, 1, 3]);  kT = Transpose(Gather(split, ik, 2), [0, 2, 3, 1])
//   v = Transpose(Gather(split, 2, 2), [0, 2, 1, 3])
//   probs = Softmax(MatMul(Mul(q, c), kT) [+ mask], axis −1)
//   merged = Reshape(Transpose(MatMul(probs, v), [0, 2, 1, 3]), [-1, W])
// Replacement: q, k, v [B, N, W] split from the rows, MultiHeadAttention(num_heads H, scale c)
// with the mask expanded to the full [B, H, N, N] attention bias (onnxruntime-web's WebGPU kernel
// rejects a broadcast one), reshaped back to `merged`. The unfused nodes that nothing else reads
// go with dead-code elimination.
import type { Tensor } from '../../tensor/tensor.js';
import { eliminateDeadCode, useDefIndex } from '../graphEditing.js';
import { GraphBuilder } from '../graphBuilder.js';
import type { Graph, Node } from '../ir.js';
import { attrFloat, attrInt } from '../ir.js';
import { attrIntOf, attrIntsOf, intsOf } from '../ops/opRegistry.js';
import type { GraphPass } from './graphPass.js';

export const MICROSOFT_DOMAIN = 'com.microsoft';

interface AttentionMatch {
  /** The final Reshape, replaced by the fused nodes. */
  readonly output: Node;
  readonly qkv: string;
  readonly tokens: number;
  readonly heads: number;
  readonly headDim: number;
  /** Which stacked part (0 q, 1 k, 2 v) acts as query and as key. */
  readonly query: number;
  readonly key: number;
  readonly scale: number;
  readonly mask?: string;
}

const samePerm = (node: Node, perm: readonly number[]): boolean => {
  const actual = attrIntsOf(node, 'perm');
  return !!actual && actual.length === perm.length && actual.every((p, i) => p === perm[i]);
};

/** A scalar float constant's value, or undefined. */
function scalarValue(t: Tensor | undefined): number | undefined {
  if (!t || t.data.length !== 1 || !(t.data instanceof Float32Array)) return undefined;
  return t.data[0];
}

/** Finds every instance of the pattern; each match is checked end to end or skipped. */
function findAttention(graph: Graph): AttentionMatch[] {
  const { producer, consumers } = useDefIndex(graph);
  const def = (value: string | undefined, op: string): Node | undefined => {
    const i = value === undefined ? undefined : producer.get(value);
    const node = i === undefined ? undefined : graph.nodes[i];
    return node && node.op === op && !node.domain ? node : undefined;
  };
  const constInts = (value: string | undefined): number[] | undefined => (value === undefined ? undefined : intsOf(graph.initializers.get(value)));

  // One of the stacked parts: Transpose(Gather(split, index, axis 2), perm); its split and index.
  const part = (value: string, perm: readonly number[]): { split: string; index: number } | undefined => {
    const transpose = def(value, 'Transpose');
    if (!transpose || !samePerm(transpose, perm)) return undefined;
    const gather = def(transpose.inputs[0], 'Gather');
    if (!gather || attrIntOf(gather, 'axis', 0) !== 2) return undefined;
    const index = constInts(gather.inputs[1]);
    if (!index || index.length !== 1 || graph.initializers.get(gather.inputs[1]!)!.shape.length !== 0) return undefined;
    return { split: gather.inputs[0]!, index: index[0]! };
  };

  const matches: AttentionMatch[] = [];
  for (const softmax of graph.nodes) {
    if (softmax.op !== 'Softmax' || softmax.domain || attrIntOf(softmax, 'axis', -1) !== -1) continue;
    // Softmax → MatMul(probs, v) → Transpose → Reshape [-1, W]
    const probs = softmax.outputs[0]!;
    const context = (consumers.get(probs) ?? []).map((i) => graph.nodes[i]!).find((n) => n.op === 'MatMul' && !n.domain && n.inputs[0] === probs);
    if (!context) continue;
    const merge = (consumers.get(context.outputs[0]!) ?? []).map((i) => graph.nodes[i]!).find((n) => n.op === 'Transpose' && samePerm(n, [0, 2, 1, 3]));
    if (!merge) continue;
    const output = (consumers.get(merge.outputs[0]!) ?? []).map((i) => graph.nodes[i]!).find((n) => n.op === 'Reshape' && !n.domain);
    if (!output) continue;
    const merged = constInts(output.inputs[1]);
    // Scores, optionally masked: Add(scores, mask) or Add(mask, scores).
    let scoresValue = softmax.inputs[0]!;
    let mask: string | undefined;
    const add = def(scoresValue, 'Add');
    if (add) {
      const [a, b] = add.inputs as [string, string];
      const aIsScores = def(a, 'MatMul') !== undefined;
      scoresValue = aIsScores ? a : b;
      mask = aIsScores ? b : a;
    }
    const scores = def(scoresValue, 'MatMul');
    if (!scores) continue;
    const scaled = def(scores.inputs[0], 'Mul');
    if (!scaled) continue;
    const scaleFirst = scalarValue(graph.initializers.get(scaled.inputs[0]!));
    const scale = scaleFirst ?? scalarValue(graph.initializers.get(scaled.inputs[1]!));
    if (scale === undefined) continue;
    const q = part(scaleFirst === undefined ? scaled.inputs[0]! : scaled.inputs[1]!, [0, 2, 1, 3]);
    const k = part(scores.inputs[1]!, [0, 2, 3, 1]);
    const v = part(context.inputs[1]!, [0, 2, 1, 3]);
    if (!q || !k || !v || q.split !== k.split || k.split !== v.split || v.index !== 2) continue;
    const split = def(q.split, 'Reshape');
    const splitShape = constInts(split?.inputs[1]);
    if (!split || !splitShape || splitShape.length !== 5 || splitShape[0] !== -1 || splitShape[2] !== 3) continue;
    const [, tokens, , heads, headDim] = splitShape as [number, number, number, number, number];
    if (!merged || merged.length !== 2 || merged[0] !== -1 || merged[1] !== heads * headDim) continue;
    if (![q.index, k.index].every((i) => i >= 0 && i <= 2)) continue;
    matches.push({ output, qkv: split.inputs[0]!, tokens, heads, headDim, query: q.index, key: k.index, scale, ...(mask ? { mask } : {}) });
  }
  return matches;
}

function emitFused(g: GraphBuilder, m: AttentionMatch): void {
  const width = m.heads * m.headDim;
  const p = m.output.name;
  const rows = g.reshape(m.qkv, [-1, m.tokens, 3 * width], `${p}.qkv_rows`);
  const parts = g.nodeMulti('Split', [rows, g.int64s([width, width, width])], { axis: attrInt(2) }, { name: `${p}.qkv`, outputs: 3 });
  // Inputs: query, key, value, bias (none: in_proj already added it), key_padding_mask, attention_bias.
  const inputs = [parts[m.query]!, parts[m.key]!, parts[2]!];
  if (m.mask) {
    const batch = g.shape(rows, 0, 1, `${p}.batch`);
    const full = g.concat([batch, g.int64s([m.heads, m.tokens, m.tokens])], 0, `${p}.bias_shape`);
    inputs.push('', '', g.expand(m.mask, full, `${p}.attention_bias`));
  }
  const attributes = { num_heads: attrInt(m.heads), ...(Math.abs(m.scale * Math.sqrt(m.headDim) - 1) > 1e-6 ? { scale: attrFloat(m.scale) } : {}) };
  const context = g.node('MultiHeadAttention', inputs, attributes, { name: `${p}.fused`, domain: MICROSOFT_DOMAIN });
  g.appendNode({ op: 'Reshape', inputs: [context, g.int64s([-1, width])], outputs: [...m.output.outputs], attributes: {}, name: m.output.name });
}

/** The fused-attention pass (inference only: MultiHeadAttention has no gradient rule). */
export const fuseAttention: GraphPass = {
  name: 'fuse-attention',
  needsOps: [`${MICROSOFT_DOMAIN}:MultiHeadAttention`],
  differentiable: false,
  apply(graph) {
    const matches = new Map(findAttention(graph).map((m) => [m.output, m]));
    if (matches.size === 0) return graph;
    const g = GraphBuilder.rewriting(graph);
    for (const node of graph.nodes) {
      const match = matches.get(node);
      if (match) emitFused(g, match);
      else g.appendNode(node);
    }
    return eliminateDeadCode(g.build());
  },
};
