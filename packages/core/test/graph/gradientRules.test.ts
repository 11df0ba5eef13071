// Every gradient rule of the op table checked against central finite differences, in a loop over
// a table of cases (one per differentiable op, several for ops with modes). Each case is one op
// on random inputs; the loss is Σ(y · R) for a fixed random R, so every output element counts.
import { describe, expect, it } from 'vitest';
import { GraphBuilder, attrFloat, attrInt, gradients, inferShapes, onnxModelFromGraph, registeredOps } from '@aaclip/core';
import type { Tensor } from '@aaclip/core';
import * as ort from 'onnxruntime-node';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// float32 central differences with step 1e-2 are good to a few 1e-4 on these well-conditioned
// cases; a wrong rule is off by O(1).
const STEP = 1e-2;
const TOLERANCE = 5e-3;

interface OpCase {
  name: string;
  /** Float inputs (differentiated) with their shapes and value range. */
  inputs: { shape: number[]; range?: [number, number] }[];
  /** Builds the op on the input values; returns its output. */
  build(g: GraphBuilder, x: string[]): string;
}

const CASES: OpCase[] = [
  { name: 'Add (broadcast)', inputs: [{ shape: [2, 3] }, { shape: [3] }], build: (g, [a, b]) => g.add(a!, b!) },
  { name: 'Sub (broadcast)', inputs: [{ shape: [2, 3] }, { shape: [2, 1] }], build: (g, [a, b]) => g.sub(a!, b!) },
  { name: 'Mul (broadcast)', inputs: [{ shape: [2, 3] }, { shape: [1, 3] }], build: (g, [a, b]) => g.mul(a!, b!) },
  { name: 'Mul (same value twice)', inputs: [{ shape: [2, 3] }], build: (g, [a]) => g.mul(a!, a!) },
  { name: 'Div (broadcast)', inputs: [{ shape: [2, 3] }, { shape: [3], range: [0.5, 2] }], build: (g, [a, b]) => g.div(a!, b!) },
  { name: 'Neg', inputs: [{ shape: [4] }], build: (g, [a]) => g.node('Neg', [a!]) },
  { name: 'Identity', inputs: [{ shape: [4] }], build: (g, [a]) => g.identity(a!) },
  { name: 'Sqrt', inputs: [{ shape: [5], range: [0.5, 3] }], build: (g, [a]) => g.sqrt(a!) },
  { name: 'Exp', inputs: [{ shape: [5] }], build: (g, [a]) => g.node('Exp', [a!]) },
  { name: 'Log', inputs: [{ shape: [5], range: [0.5, 3] }], build: (g, [a]) => g.node('Log', [a!]) },
  { name: 'Erf', inputs: [{ shape: [6] }], build: (g, [a]) => g.erf(a!) },
  { name: 'Sigmoid', inputs: [{ shape: [6] }], build: (g, [a]) => g.sigmoid(a!) },
  { name: 'LeakyRelu', inputs: [{ shape: [8], range: [0.2, 1] }], build: (g, [a]) => g.leakyRelu(g.mul(a!, g.constant(signs(8), 'signs')), 0.01) },
  { name: 'Relu', inputs: [{ shape: [8], range: [0.2, 1] }], build: (g, [a]) => g.node('Relu', [g.mul(a!, g.constant(signs(8), 'signs'))]) },
  { name: 'MatMul (batched, broadcast B)', inputs: [{ shape: [2, 3, 4] }, { shape: [4, 5] }], build: (g, [a, b]) => g.matmul(a!, b!) },
  { name: 'MatMul (batch broadcast both)', inputs: [{ shape: [2, 1, 3, 4] }, { shape: [1, 2, 4, 2] }], build: (g, [a, b]) => g.matmul(a!, b!) },
  { name: 'Gemm transB + bias', inputs: [{ shape: [3, 4] }, { shape: [5, 4] }, { shape: [5] }], build: (g, [a, b, c]) => g.linearRows(a!, b!, c!) },
  {
    name: 'Gemm transA, alpha, beta, [m,1] bias',
    inputs: [{ shape: [4, 3] }, { shape: [4, 5] }, { shape: [3, 1] }],
    build: (g, [a, b, c]) => g.node('Gemm', [a!, b!, c!], { transA: attrInt(1), alpha: attrFloat(0.5), beta: attrFloat(2) }),
  },
  { name: 'Softmax (axis 1)', inputs: [{ shape: [2, 3, 4] }], build: (g, [a]) => g.softmax(a!, 1) },
  { name: 'LogSoftmax', inputs: [{ shape: [2, 5] }], build: (g, [a]) => g.node('LogSoftmax', [a!], { axis: attrInt(-1) }) },
  { name: 'Transpose', inputs: [{ shape: [2, 3, 4] }], build: (g, [a]) => g.transpose(a!, [2, 0, 1]) },
  { name: 'Reshape', inputs: [{ shape: [2, 3, 4] }], build: (g, [a]) => g.reshape(a!, [4, -1]) },
  { name: 'Concat', inputs: [{ shape: [2, 3] }, { shape: [2, 2] }], build: (g, [a, b]) => g.concat([a!, b!], 1) },
  { name: 'Slice', inputs: [{ shape: [3, 5] }], build: (g, [a]) => g.slice(a!, [1, 1], [3, 4], [0, 1]) },
  { name: 'Gather (scalar index)', inputs: [{ shape: [2, 3, 4] }], build: (g, [a]) => g.gather(a!, g.int64Scalar(1), 1) },
  { name: 'Expand', inputs: [{ shape: [1, 3] }], build: (g, [a]) => g.expand(a!, g.int64s([2, 4, 3])) },
  { name: 'Unsqueeze', inputs: [{ shape: [2, 3] }], build: (g, [a]) => g.unsqueeze(a!, [0, 2]) },
  { name: 'Squeeze', inputs: [{ shape: [2, 1, 3] }], build: (g, [a]) => g.node('Squeeze', [a!, g.int64s([1])]) },
  { name: 'ReduceSum (keepdims 0)', inputs: [{ shape: [2, 3, 4] }], build: (g, [a]) => g.reduceSum(a!, [1], false) },
  { name: 'ReduceMean (two axes)', inputs: [{ shape: [2, 3, 4] }], build: (g, [a]) => g.reduceMean(a!, [0, 2], true) },
  {
    name: 'LayerNormalization',
    inputs: [{ shape: [3, 6] }, { shape: [6] }, { shape: [6] }],
    build: (g, [x, w, b]) => g.layerNorm(x!, w!, b!, 1e-5),
  },
  {
    name: 'Where',
    inputs: [{ shape: [2, 3] }, { shape: [3] }],
    build: (g, [a, b]) => g.node('Where', [g.node('Greater', [g.constant(signs(6, [2, 3]), 'c'), g.scalar(0)]), a!, b!]),
  },
  { name: 'Pad', inputs: [{ shape: [2, 3] }], build: (g, [a]) => g.node('Pad', [a!, g.int64s([1, 0, 0, 2])]) },
  {
    name: 'Split',
    inputs: [{ shape: [2, 6] }],
    build: (g, [a]) => {
      const [p, q] = g.nodeMulti('Split', [a!, g.int64s([2, 4])], { axis: attrInt(1) }, { outputs: 2 });
      return g.concat([g.mul(p!, g.scalar(3)), q!], 1);
    },
  },
  { name: 'Transpose (default perm)', inputs: [{ shape: [3, 2] }], build: (g, [a]) => g.node('Transpose', [a!]) },
  { name: 'ReduceSum (all axes, no axes input)', inputs: [{ shape: [2, 3] }], build: (g, [a]) => g.node('ReduceSum', [a!], { keepdims: attrInt(0) }) },
  { name: 'Reshape then Transpose (attention layout)', inputs: [{ shape: [4, 6] }], build: (g, [a]) => g.transpose(g.reshape(a!, [2, 2, 3, 2]), [0, 2, 1, 3]) },
];

function signs(n: number, shape = [n]): Tensor {
  return { dtype: 'F32', shape, data: Float32Array.from({ length: n }, (_, i) => (i % 3 === 1 ? -1 : 1)) };
}

/** A small deterministic generator (tests only). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function fill(shape: number[], range: [number, number], rand: () => number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, () => range[0] + (range[1] - range[0]) * rand());
}

async function session(graph: ReturnType<GraphBuilder['build']>): Promise<{ s: ort.InferenceSession; close: () => Promise<void> }> {
  const model = onnxModelFromGraph(graph);
  const dir = mkdtempSync(path.join(tmpdir(), 'aaclip-grad-'));
  const file = path.join(dir, 'model.onnx');
  writeFileSync(file, model.model);
  const s = await ort.InferenceSession.create(file);
  return { s, close: async () => { await s.release(); rmSync(dir, { recursive: true, force: true }); } };
}

/** The case's forward graph, loss = Σ(op(x) · R): x as inputs (for finite differences) or initializers (for autodiff). */
function caseGraph(c: OpCase, values: Float32Array[], weightsAsInputs: boolean, rand: () => number): ReturnType<GraphBuilder['build']> {
  const g = new GraphBuilder(c.name.replace(/\W+/g, '_'));
  const xs = c.inputs.map((spec, i) =>
    weightsAsInputs ? g.input(`x${i}`, 'F32', spec.shape) : g.initializer({ dtype: 'F32', shape: spec.shape, data: values[i]! }, `x${i}`),
  );
  const y = c.build(g, xs);
  const outShape = inferShapes(g.build()).types.get(y)!.shape as number[];
  const r = g.initializer({ dtype: 'F32', shape: outShape, data: fill(outShape, [-1, 1], rand) }, 'probe');
  const loss = g.node('ReduceSum', [g.mul(y, r)], { keepdims: attrInt(0) }, { name: 'loss' });
  g.output(loss, 'loss', 'F32', []);
  return g.build();
}


describe('gradient rules: every differentiable op against central finite differences', () => {
  it('covers every op in the table that has a gradient rule', () => {
    const tested = new Set(CASES.map((c) => c.name.split(' ')[0]!));
    const withRule = registeredOps().filter((op) => typeof op.gradient === 'function').map((op) => op.op);
    const untested = withRule.filter((op) => !tested.has(op));
    expect(untested, `ops with a gradient rule but no finite-difference case: ${untested.join(', ')}`).toEqual([]);
  });

  for (const [index, c] of CASES.entries()) {
    it(c.name, async () => {
      const rand = random(1000 + index);
      const values = c.inputs.map((spec) => fill(spec.shape, spec.range ?? [-1.5, 1.5], rand));
      const rSeed = 77 + index;
      const wrt = c.inputs.map((_, i) => `x${i}`);
      const step = gradients(caseGraph(c, values, false, random(rSeed)), { loss: 'loss', wrt });
      const analytic = await session(step.graph);
      const feeds = Object.fromEntries(values.map((v, i) => [`x${i}`, new ort.Tensor('float32', v, c.inputs[i]!.shape)]));
      const grads = await analytic.s.run(feeds);
      await analytic.close();

      const forward = await session(caseGraph(c, values, true, random(rSeed)));
      const lossAt = async (i: number, k: number, delta: number): Promise<number> => {
        const shifted = values.map((v) => v.slice());
        shifted[i]![k]! += delta;
        const out = await forward.s.run(Object.fromEntries(shifted.map((v, j) => [`x${j}`, new ort.Tensor('float32', v, c.inputs[j]!.shape)])));
        return (out.loss!.data as Float32Array)[0]!;
      };
      for (const [i, v] of values.entries()) {
        const g = grads[step.gradientOutputs.get(`x${i}`)!]!.data as Float32Array;
        expect(g.length).toBe(v.length);
        let diff = 0;
        let norm = 0;
        for (let k = 0; k < v.length; k++) {
          const fd = ((await lossAt(i, k, STEP)) - (await lossAt(i, k, -STEP))) / (2 * STEP);
          diff += (fd - g[k]!) ** 2;
          norm += fd ** 2;
        }
        const rel = Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-6);
        expect(rel, `${c.name}: input ${i} relative error ${rel.toExponential(2)}`).toBeLessThan(TOLERANCE);
      }
      await forward.close();
    });
  }
});
