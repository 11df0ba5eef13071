// The float16 pass: weights and activations in float16 where range allows, float32 where it does
// not, float32 at the graph's edges.
//
// Kept in float32 (their inputs cast up): LayerNormalization and Softmax (their sums and
// variances), the reductions, Sqrt and Pow, squares (Mul(x, x): the L2 norms of the outputs
// would overflow float16 beyond |x| ≈ 256) and whatever reads a norm or a reduction (x / ‖x‖),
// ArgMax (the text tower's float token ids exceed
// float16's 2048 exact integers), and every node that produces a graph output — so inputs and
// outputs stay float32. Everything else that computes on floats runs in float16; data movement
// (Reshape, Transpose, Gather, …) follows its data. Float32 weights read by float16 nodes become
// float16 initializers (half the bytes); a Cast is inserted once per value that changes precision.
import { AaclipError } from '../../errors/aaclipError.js';
import type { Tensor } from '../../tensor/tensor.js';
import { eliminateDeadCode } from '../graphEditing.js';
import { GraphBuilder } from '../graphBuilder.js';
import type { Graph, Node } from '../ir.js';
import { inferShapes } from '../shapeInference.js';
import type { GraphPass } from './graphPass.js';
import { float32ToHalfBits } from './halfBits.js';

const KEEP_FLOAT32 = new Set(['LayerNormalization', 'Softmax', 'LogSoftmax', 'ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'Sqrt', 'Pow', 'ArgMax', 'ArgMin', 'Exp', 'Log']);
/** Ops whose output is (a rearrangement of) their data input 0: they run in its precision. */
/** Reductions and norms: whatever reads their results stays float32 too. */
const REDUCTIONS = new Set(['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'Sqrt']);
const FOLLOWS_DATA = new Set(['Reshape', 'Transpose', 'Gather', 'Split', 'Concat', 'Slice', 'Expand', 'Identity', 'Unsqueeze', 'Squeeze', 'Pad']);

type Float = 'F32' | 'F16';

export function convertToFloat16(graph: Graph): Graph {
  const { types } = inferShapes(graph);
  const isFloat = (value: string): boolean => value !== '' && types.get(value)?.dtype === 'F32';
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const g = GraphBuilder.rewriting(graph);
  /** The precision each float value has in the new graph (initializers and inputs: F32). */
  const current = new Map<string, Float>();
  const casts = new Map<string, string>();
  const halfWeights = new Map<string, string>();
  const reduced = new Set<string>();

  const as = (value: string, dtype: Float): string => {
    const weight = graph.initializers.get(value);
    if (weight && dtype === 'F16') {
      let half = halfWeights.get(value);
      if (!half) {
        const halfTensor: Tensor = { dtype: 'F16', shape: weight.shape, data: float32ToHalfBits(weight.data as Float32Array) };
        half = g.initializer(halfTensor, `${value}.fp16`);
        halfWeights.set(value, half);
      }
      return half;
    }
    if ((current.get(value) ?? 'F32') === dtype) return value;
    const key = `${value}|${dtype}`;
    let cast = casts.get(key);
    if (!cast) {
      cast = g.cast(value, dtype, `${value}.${dtype === 'F16' ? 'fp16' : 'fp32'}`);
      casts.set(key, cast);
    }
    return cast;
  };

  const targetOf = (node: Node): Float => {
    if (KEEP_FLOAT32.has(node.op) || node.outputs.some((o) => graphOutputs.has(o))) return 'F32';
    if (node.op === 'Mul' && node.inputs[0] === node.inputs[1]) return 'F32';
    if (node.inputs.some((v) => reduced.has(v))) return 'F32';
    if (FOLLOWS_DATA.has(node.op)) {
      // The first float input computed by the graph decides; weights alone go to float16.
      const computed = node.inputs.find((v) => isFloat(v) && !graph.initializers.has(v));
      return computed === undefined ? 'F16' : (current.get(computed) ?? 'F32');
    }
    return 'F16';
  };

  for (const node of graph.nodes) {
    const floatInputs = node.inputs.map(isFloat);
    if (node.op === 'Cast' || !floatInputs.some(Boolean)) {
      // Casts and nodes that read no floats keep their declared output types.
      g.appendNode(node);
      continue;
    }
    const target = targetOf(node);
    const inputs = node.inputs.map((v, i) => (floatInputs[i] ? as(v, target) : v));
    for (const output of node.outputs) if (isFloat(output)) current.set(output, target);
    if (REDUCTIONS.has(node.op)) node.outputs.forEach((o) => reduced.add(o));
    g.appendNode({ ...node, inputs });
  }
  const converted = eliminateDeadCode(g.build());
  for (const output of converted.outputs) {
    if (output.dtype === 'F32' && (current.get(output.name) ?? 'F32') !== 'F32') {
      throw new AaclipError(`output "${output.name}" would be float16`, `float16 pass on graph ${graph.name}`, { code: 'internal' });
    }
  }
  return converted;
}

export const float16: GraphPass = {
  name: 'float16',
  needsOps: [],
  precision: 'fp16',
  differentiable: false,
  apply: convertToFloat16,
};
