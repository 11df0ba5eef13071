// Test helper for the loss-graph tests: the tiny-aaclip fixture's training tensors as onnxruntime
// feeds, and the ops a loss graph may contain.
import * as ort from 'onnxruntime-node';
import { onnxModelFromGraph } from '@aaclip/core';
import type { Graph, TensorMap } from '@aaclip/core';
import { loadFixture, fixtureTensors } from '../../../../test-support/fixtureLoader.js';
import { floatTensor, runOnnx } from '../graph/runOnnx.js';

/** Losses within 1e-4 relative (tiny-aaclip README). */
export const LOSS_TOLERANCE = 1e-4;

// The plan's differentiable ops, and the few a graph may use off the gradient path.
export const DIFFERENTIABLE_OPS = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Neg', 'Sqrt', 'Exp', 'Log', 'Erf', 'Sigmoid', 'LeakyRelu', 'Identity', 'MatMul', 'Gemm',
  'Softmax', 'LogSoftmax', 'Transpose', 'Reshape', 'Concat', 'Slice', 'Gather', 'Expand', 'Unsqueeze', 'Squeeze',
  'ReduceSum', 'ReduceMean', 'LayerNormalization',
]);
export const OFF_PATH_OPS = new Set(['Cast', 'Equal', 'Greater', 'Where', 'Clip', 'Shape', 'ArgMax', 'Less', 'Not']);

let train: TensorMap | undefined;

/** train.safetensors (the stage-1 image path end to end). */
export function trainTensors(): TensorMap {
  train ??= fixtureTensors('train.safetensors');
  return train;
}

export function floats(tensors: TensorMap, name: string): Float32Array {
  const t = tensors.get(name);
  if (!t || !(t.data instanceof Float32Array)) throw new Error(`no F32 tensor "${name}"`);
  return t.data;
}

/** The batch's masks [3, 1, 48, 48] as the graphs take them, [3, 48, 48] (same data). */
export function masksFeed(): ort.Tensor {
  const masks = loadFixture().golden.get('train_masks')!;
  const [batch, , height, width] = masks.shape;
  return floatTensor(masks.data as Float32Array, [batch!, height!, width!]);
}

/** train_labels [3] int64 as one-hot rows [3, classes]. */
export function oneHotLabels(classes: number): ort.Tensor {
  const labels = loadFixture().golden.get('train_labels')!.data as BigInt64Array;
  const data = new Float32Array(labels.length * classes);
  labels.forEach((label, i) => (data[i * classes + Number(label)] = 1));
  return floatTensor(data, [labels.length, classes]);
}

export async function runGraph(graph: Graph, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  return runOnnx(onnxModelFromGraph(graph), feeds);
}

export const scalarOf = (t: ort.Tensor): number => (t.data as Float32Array)[0]!;

export const relativeError = (actual: number, expected: number): number => Math.abs(actual - expected) / Math.abs(expected);

/**
 * The plan's contract for the autodiff: every node between a trainable initializer and the loss
 * is a differentiable op, and a Gather there takes a constant scalar index. Returns the breaches.
 */
export function gradientPathBreaches(graph: Graph, trainable: readonly string[], loss = 'loss'): string[] {
  const fromWeights = new Set(trainable);
  for (const node of graph.nodes) {
    if (node.inputs.some((i) => fromWeights.has(i))) node.outputs.forEach((o) => fromWeights.add(o));
  }
  const toLoss = new Set([loss]);
  for (const node of [...graph.nodes].reverse()) {
    if (node.outputs.some((o) => toLoss.has(o))) node.inputs.forEach((i) => toLoss.add(i));
  }
  const breaches: string[] = [];
  for (const node of graph.nodes) {
    const onPath = node.inputs.some((i) => fromWeights.has(i)) && node.outputs.some((o) => toLoss.has(o));
    if (!onPath) continue;
    if (!DIFFERENTIABLE_OPS.has(node.op) || (node.domain ?? '') !== '') breaches.push(`${node.name}: ${node.op}`);
    if (node.op === 'Gather' && graph.initializers.get(node.inputs[1]!)?.shape.length !== 0) breaches.push(`${node.name}: Gather index is not a constant scalar`);
  }
  if (!trainable.every((w) => graph.initializers.has(w))) breaches.push('a trainable weight is not an initializer');
  if (!graph.nodes.some((n) => n.outputs.includes(loss) && n.inputs.some((i) => fromWeights.has(i)))) breaches.push('the loss does not depend on the weights');
  return breaches;
}
