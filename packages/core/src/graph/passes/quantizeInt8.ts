// The int8 pass: every matrix product with a constant float32 weight becomes onnxruntime's
// com.microsoft DynamicQuantizeMatMul — the weight quantised here, once, to symmetric int8 per
// output channel (scale = max|w| / 127, no zero point); the activations quantised to uint8 per
// run by the kernel, which multiplies with VNNI on CPUs that have it and scales back to float32.
// Measured against the alternatives on ViT-L's shapes (DynamicQuantizeLinear + MatMulInteger +
// scale Mul; DynamicQuantizeLinear + MatMulIntegerToFloat) it is as fast as the fastest, in one
// node. Everything else (LayerNorm, softmax, attention, GELU, the outputs) stays float32.
//
// Matched: Gemm(A, W [N, K], bias [N]?) with transB = 1 (the towers' Linear layers; the bias is
// fused) and MatMul(A, W [K, N]) (the CLIP projections). The `int8` pass quantises the
// transformer blocks' weights only (in_proj, out_proj, c_fc, c_proj: all but ~1% of the work);
// the patch embedding, the AA-CLIP adapters and the projections at the ends stay float32, where
// rounding would reach the maps most directly for no speed.
import type { Tensor } from '../../tensor/tensor.js';
import { eliminateDeadCode } from '../graphEditing.js';
import { GraphBuilder } from '../graphBuilder.js';
import type { Graph, Node } from '../ir.js';
import { attrFloatOf, attrIntOf } from '../ops/opRegistry.js';
import type { GraphPass } from './graphPass.js';
import { MICROSOFT_DOMAIN } from './fuseAttention.js';

export interface QuantizedWeight {
  /** int8 values [K, N] (the layout DynamicQuantizeMatMul reads). */
  readonly values: Tensor;
  /** Per output channel (column) scale [N]. */
  readonly scales: Tensor;
}

/**
 * Symmetric per-channel int8 of a weight whose output channels are its rows (`rowsAreOutputs`:
 * a Gemm weight [N, K]) or its columns (a MatMul weight [K, N]); the result is [K, N].
 */
export function quantizePerChannel(weight: Tensor, rowsAreOutputs: boolean): QuantizedWeight {
  const data = weight.data as Float32Array;
  const [rows, cols] = weight.shape as [number, number];
  const n = rowsAreOutputs ? rows : cols;
  const k = rowsAreOutputs ? cols : rows;
  // Element (kk, nn) of the [K, N] view sits at kk·kStride + nn·nStride in `data`.
  const kStride = rowsAreOutputs ? 1 : cols;
  const nStride = rowsAreOutputs ? cols : 1;
  const max = new Float32Array(n);
  for (let kk = 0; kk < k; kk++) {
    for (let nn = 0; nn < n; nn++) {
      const v = Math.abs(data[kk * kStride + nn * nStride]!);
      if (v > max[nn]!) max[nn] = v;
    }
  }
  const scales = max.map((m) => (m > 0 ? m / 127 : 1));
  const values = new Int8Array(k * n);
  for (let kk = 0; kk < k; kk++) {
    const row = kk * n;
    for (let nn = 0; nn < n; nn++) {
      const q = Math.round(data[kk * kStride + nn * nStride]! / scales[nn]!);
      values[row + nn] = q > 127 ? 127 : q < -127 ? -127 : q;
    }
  }
  return { values: { dtype: 'I8', shape: [k, n], data: values }, scales: { dtype: 'F32', shape: [n], data: scales } };
}

const isMatrix = (t: Tensor | undefined): t is Tensor => !!t && t.dtype === 'F32' && t.shape.length === 2;

/** The weight a node multiplies by and how it is laid out, when the node can be quantised. */
function quantizable(node: Node, graph: Graph): { weight: string; rowsAreOutputs: boolean; bias?: string } | undefined {
  if (node.domain) return undefined;
  if (node.op === 'MatMul') {
    return isMatrix(graph.initializers.get(node.inputs[1]!)) ? { weight: node.inputs[1]!, rowsAreOutputs: false } : undefined;
  }
  if (node.op !== 'Gemm') return undefined;
  const plain = attrIntOf(node, 'transA', 0) === 0 && attrIntOf(node, 'transB', 0) === 1 && attrFloatOf(node, 'alpha', 1) === 1 && attrFloatOf(node, 'beta', 1) === 1;
  const weight = graph.initializers.get(node.inputs[1]!);
  if (!plain || !isMatrix(weight)) return undefined;
  const bias = node.inputs[2];
  if (bias) {
    const b = graph.initializers.get(bias);
    if (!b || b.dtype !== 'F32' || b.shape.length !== 1 || b.shape[0] !== weight.shape[0]) return undefined;
  }
  return { weight: node.inputs[1]!, rowsAreOutputs: true, ...(bias ? { bias } : {}) };
}

/** The transformer blocks' weights, by their state-dict names (the towers name initializers so). */
export const isTransformerBlockWeight = (name: string): boolean => /(^|\.)resblocks\.\d+\./.test(name);

export interface QuantizeOptions {
  /** Which weights (by initializer name) to quantise; default every one that matches. */
  readonly weights?: (name: string) => boolean;
}

export function quantizeInt8(graph: Graph, options: QuantizeOptions = {}): Graph {
  const g = GraphBuilder.rewriting(graph);
  const quantized = new Map<string, { values: string; scales: string }>();
  for (const node of graph.nodes) {
    const match = quantizable(node, graph);
    if (!match || (options.weights && !options.weights(match.weight))) {
      g.appendNode(node);
      continue;
    }
    let q = quantized.get(match.weight);
    if (!q) {
      const { values, scales } = quantizePerChannel(graph.initializers.get(match.weight)!, match.rowsAreOutputs);
      q = { values: g.initializer(values, `${match.weight}.int8`), scales: g.initializer(scales, `${match.weight}.scale`) };
      quantized.set(match.weight, q);
    }
    // Inputs: A, B, b_scale, b_zero_point (none: symmetric), bias.
    const inputs = [node.inputs[0]!, q.values, q.scales, ...(match.bias ? ['', match.bias] : [])];
    g.appendNode({ op: 'DynamicQuantizeMatMul', domain: MICROSOFT_DOMAIN, inputs, outputs: [...node.outputs], attributes: {}, name: node.name });
  }
  // The float32 weights nothing reads any more go with the dead code.
  return eliminateDeadCode(g.build());
}

export const int8: GraphPass = {
  name: 'int8',
  needsOps: [`${MICROSOFT_DOMAIN}:DynamicQuantizeMatMul`],
  precision: 'int8',
  differentiable: false,
  apply: (graph) => quantizeInt8(graph, { weights: isTransformerBlockWeight }),
};
