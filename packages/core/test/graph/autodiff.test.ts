// The autodiff pass as a whole: interface of the training-step graph, gradient checkpointing
// (same gradients, segments recomputed, not kept), errors that name the weight.
import { describe, expect, it } from 'vitest';
import { GraphBuilder, eliminateDeadCode, gradients, inferShapes, onnxModelFromGraph, useDefIndex } from '@aaclip/core';
import type { Graph } from '@aaclip/core';
import { floatTensor, runOnnx } from './runOnnx.js';
import { maxAbsError } from '@aaclip/core/testing';

function randomFloats(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 16807) % 2147483647;
    return (s / 2147483647) * 2 - 1;
  });
}

const WIDTH = 8;
const ROWS = 6;

/** Three residual "blocks" (LayerNorm → Gemm → GELU → Gemm, + x), each output a checkpoint candidate. */
function chain(): { graph: Graph; blockOutputs: string[]; weights: string[] } {
  const g = new GraphBuilder('chain');
  let x = g.input('x', 'F32', [ROWS, WIDTH]);
  const blockOutputs: string[] = [];
  const weights: string[] = [];
  for (let i = 0; i < 3; i++) {
    const w1 = g.initializer({ dtype: 'F32', shape: [WIDTH, WIDTH], data: randomFloats(WIDTH * WIDTH, 11 + i) }, `block.${i}.w1`);
    const w2 = g.initializer({ dtype: 'F32', shape: [WIDTH, WIDTH], data: randomFloats(WIDTH * WIDTH, 23 + i) }, `block.${i}.w2`);
    const lnw = g.initializer({ dtype: 'F32', shape: [WIDTH], data: randomFloats(WIDTH, 31 + i) }, `block.${i}.ln.weight`);
    const lnb = g.initializer({ dtype: 'F32', shape: [WIDTH], data: randomFloats(WIDTH, 37 + i) }, `block.${i}.ln.bias`);
    weights.push(w1, w2);
    const h = g.gelu(g.linearRows(g.layerNorm(x, lnw, lnb, 1e-5), w1), false);
    x = g.add(x, g.linearRows(h, w2), `block.${i}.out`);
    blockOutputs.push(x);
  }
  const loss = g.reduceMean(g.mul(x, x), [0, 1], false, 'loss');
  g.output(loss, 'loss', 'F32', []);
  return { graph: g.build(), blockOutputs, weights };
}

describe('gradients(): the training-step graph', () => {
  it('has the forward inputs plus the trainable weights as inputs, and the loss plus one gradient per weight as outputs', () => {
    const { graph, weights } = chain();
    const step = gradients(graph, { loss: 'loss', wrt: weights });
    expect(step.graph.inputs.map((v) => v.name)).toEqual(['x', ...weights]);
    expect(step.graph.outputs.map((v) => v.name)).toEqual(['loss', ...weights.map((w) => `${w}.grad`)]);
    // Frozen weights stay initializers; trained ones are no longer.
    expect(step.graph.initializers.has('block.0.ln.weight')).toBe(true);
    expect(step.graph.initializers.has('block.0.w1')).toBe(false);
    // Every value has a type (shape inference runs over the whole step graph).
    const { types } = inferShapes(step.graph);
    expect(types.get('block.1.w2.grad')?.shape).toEqual([WIDTH, WIDTH]);
  });

  it('gives the same gradients with gradient checkpointing, recomputing the segments instead of keeping them', async () => {
    const { graph, blockOutputs, weights } = chain();
    const plain = gradients(graph, { loss: 'loss', wrt: weights });
    const checkpointed = gradients(graph, { loss: 'loss', wrt: weights, checkpoints: blockOutputs });
    const recomputed = checkpointed.graph.nodes.filter((n) => n.name.includes('.recompute'));
    expect(recomputed.length).toBeGreaterThan(0);
    // No backward node reads a forward value from inside a recomputed segment: the GELU of block 0
    // is read only by the forward graph.
    const gelu0 = plain.graph.nodes.find((n) => n.outputs.some((o) => o.startsWith('gelu')))!.outputs[0]!;
    const readers = useDefIndex(checkpointed.graph).consumers.get(gelu0) ?? [];
    expect(readers.length).toBe(1);

    const x = randomFloats(ROWS * WIDTH, 5);
    const feeds = Object.fromEntries([
      ['x', floatTensor(x, [ROWS, WIDTH])],
      ...weights.map((w) => [w, floatTensor(graph.initializers.get(w)!.data as Float32Array, [WIDTH, WIDTH])]),
    ]);
    const a = await runOnnx(onnxModelFromGraph(plain.graph), feeds);
    const b = await runOnnx(onnxModelFromGraph(checkpointed.graph), feeds);
    // Same arithmetic; the runtime may fuse the two graphs differently (float32 rounding).
    expect(maxAbsError(a.loss!.data as Float32Array, b.loss!.data as Float32Array)).toBeLessThan(1e-6);
    for (const w of weights) {
      const ga = a[`${w}.grad`]!.data as Float32Array;
      const gb = b[`${w}.grad`]!.data as Float32Array;
      expect(maxAbsError(ga, gb), w).toBeLessThan(1e-6);
      expect(Math.max(...ga.map(Math.abs))).toBeGreaterThan(0);
    }
  });

  it('names the weight or value at fault', () => {
    const { graph } = chain();
    expect(() => gradients(graph, { loss: 'loss', wrt: ['nope'] })).toThrow(/"nope" is not an initializer/);
    expect(() => gradients(graph, { loss: 'missing', wrt: ['block.0.w1'] })).toThrow(/loss "missing"/);
    const g = GraphBuilder.from(graph);
    const unused = g.initializer({ dtype: 'F32', shape: [2], data: new Float32Array(2) }, 'unused.weight');
    void unused;
    expect(() => gradients(g.build(), { loss: 'loss', wrt: ['unused.weight'] })).toThrow(/"unused.weight" does not affect the loss/);
  });

  it('dead-code elimination keeps what the outputs need', () => {
    const g = new GraphBuilder('dce');
    const x = g.input('x', 'F32', [2]);
    g.sqrt(x, 'dead');
    g.output(g.add(x, x), 'y', 'F32', [2]);
    const pruned = eliminateDeadCode(g.build());
    expect(pruned.nodes.map((n) => n.op)).toEqual(['Add', 'Identity']);
  });
});

describe('gradients(): trainable weights are the state dict\'s', () => {
  it('refuses a weight the builder reshaped (its gradient would not be the state dict\'s)', () => {
    const { graph, weights } = chain();
    const shapes = new Map(weights.map((w) => [w, [WIDTH, WIDTH]]));
    expect(() => gradients(graph, { loss: 'loss', wrt: weights, stateDictShapes: shapes })).not.toThrow();
    shapes.set('block.0.w1', [WIDTH, 2, WIDTH / 2]);
    expect(() => gradients(graph, { loss: 'loss', wrt: weights, stateDictShapes: shapes })).toThrow(
      /"block.0.w1" is \[8, 8\] in the graph but \[8, 2, 4\] in the state dict: it was reshaped or interpolated/,
    );
  });
});
