import { describe, expect, it } from 'vitest';
import { AaclipError, GraphBuilder, serializeModel, validateGraph } from '@aaclip/core';
import type { Graph } from '@aaclip/core';
import { floatTensor, int64Tensor, runOnnx } from './runOnnx.js';
import { readOnnxModel, type OnnxExternalData } from '../../../../test-support/onnxReader.js';
import { maxAbsError } from '@aaclip/core/testing';

/** y = x @ W + b with W [2, 3] and b [3]. */
function affineGraph(): { graph: Graph; w: Float32Array; b: Float32Array } {
  const w = new Float32Array([1, 2, 3, -1, 0.5, 4]);
  const b = new Float32Array([0.25, -2, 10]);
  const g = new GraphBuilder('affine');
  const x = g.input('x', 'F32', ['batch', 2]);
  const wName = g.initializer({ dtype: 'F32', shape: [2, 3], data: w }, 'W');
  const bName = g.initializer({ dtype: 'F32', shape: [3], data: b }, 'b');
  g.output(g.add(g.matmul(x, wName), bName), 'y', 'F32', ['batch', 3]);
  return { graph: g.build(), w, b };
}

function affineReference(x: Float32Array, w: Float32Array, b: Float32Array, rows: number): Float32Array {
  const out = new Float32Array(rows * 3);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < 3; c++) out[r * 3 + c] = x[r * 2]! * w[c]! + x[r * 2 + 1]! * w[3 + c]! + b[c]!;
  }
  return out;
}

/** The initializer's placement as the model states it: its inline bytes or its external data entry. */
function placement(model: Uint8Array, name: string): { rawData?: Uint8Array; external?: OnnxExternalData } {
  const t = readOnnxModel(model).graph.initializers.find((i) => i.name === name);
  if (!t) throw new Error(`no initializer "${name}"`);
  return { ...(t.rawData ? { rawData: t.rawData.slice() } : {}), ...(t.external ? { external: t.external } : {}) };
}

describe('ONNX serialisation', () => {
  it('runs a hand-built MatMul + Add graph in onnxruntime with the expected numbers', async () => {
    const { graph, w, b } = affineGraph();
    const x = new Float32Array([1, 2, -3, 0.5, 0, 7]);
    const out = await runOnnx(serializeModel(graph), { x: floatTensor(x, [3, 2]) });
    expect(out.y!.dims).toEqual([3, 3]);
    expect(maxAbsError(out.y!.data as Float32Array, affineReference(x, w, b, 3))).toBeLessThan(1e-6);
  });

  it('stores initializers as external data, 4096-aligned, with the same results', async () => {
    const { graph, w, b } = affineGraph();
    const serialized = serializeModel(graph, { externalDataThreshold: 0, externalDataPath: 'weights.bin' });
    expect(serialized.externalData).toHaveLength(1);
    const file = serialized.externalData[0]!;
    expect(file.path).toBe('weights.bin');
    // W (24 bytes) at offset 0, b (12 bytes) at the next 4096 boundary.
    expect(file.data.byteLength).toBe(4096 + 12);
    expect(new Float32Array(file.data.buffer.slice(0, 24))).toEqual(w);
    expect(new Float32Array(file.data.buffer.slice(4096, 4108))).toEqual(b);
    // The weights' bytes are inside the inline model, and only referenced by the one with external data.
    const wBytes = new Uint8Array(w.buffer);
    const inline = serializeModel(graph);
    expect(inline.externalData).toHaveLength(0);
    expect(placement(inline.model, 'W')).toEqual({ rawData: wBytes });
    expect(placement(serialized.model, 'W')).toEqual({ external: { location: 'weights.bin', offset: 0, length: 24 } });
    expect(placement(serialized.model, 'b')).toEqual({ external: { location: 'weights.bin', offset: 4096, length: 12 } });

    const x = new Float32Array([0.5, -1]);
    const out = await runOnnx(serialized, { x: floatTensor(x, [1, 2]) });
    expect(maxAbsError(out.y!.data as Float32Array, affineReference(x, w, b, 1))).toBeLessThan(1e-6);
  });

  it('splits external data into several files when one would grow past the limit', async () => {
    const { graph, w, b } = affineGraph();
    const serialized = serializeModel(graph, { externalDataThreshold: 0, maxExternalFileBytes: 100 });
    expect(serialized.externalData.map((f) => f.path)).toEqual(['model.onnx.data', 'model.onnx.data.1']);
    const x = new Float32Array([2, 3]);
    const out = await runOnnx(serialized, { x: floatTensor(x, [1, 2]) });
    expect(maxAbsError(out.y!.data as Float32Array, affineReference(x, w, b, 1))).toBeLessThan(1e-6);
  });

  it('encodes int, float, ints attributes, int64 initializers and negative values', async () => {
    // z = Softmax(LeakyRelu(Transpose(Gather(table, ids)), 0.2), axis −1), then ReduceSum over axis 0.
    const g = new GraphBuilder('attrs');
    const ids = g.input('ids', 'I64', [3]);
    const table = g.initializer({ dtype: 'F32', shape: [4, 2], data: new Float32Array([1, -2, 3, -4, 0, 5, -6, 2]) }, 'table');
    const gathered = g.gather(table, ids, 0); // [3, 2]
    const t = g.transpose(gathered, [1, 0]); // [2, 3]
    const activated = g.leakyRelu(t, 0.2);
    const sm = g.softmax(activated, -1);
    g.output(activated, 'act', 'F32', [2, 3]);
    g.output(g.reduceSum(sm, [0], false), 'colsum', 'F32', [3]);
    g.output(g.reshape(t, [-1]), 'flat', 'F32', [6]);
    const out = await runOnnx(serializeModel(g.build()), { ids: int64Tensor(new BigInt64Array([3n, 0n, 2n]), [3]) });

    // Rows 3, 0, 2 of the table: [-6, 2], [1, -2], [0, 5]; transposed: [[-6, 1, 0], [2, -2, 5]].
    expect(Array.from(out.flat!.data as Float32Array)).toEqual([-6, 1, 0, 2, -2, 5]);
    const act = [-6 * 0.2, 1, 0, 2, -2 * 0.2, 5];
    expect(maxAbsError(out.act!.data as Float32Array, act)).toBeLessThan(1e-6);
    const softmaxRow = (r: number[]): number[] => {
      const m = Math.max(...r);
      const e = r.map((v) => Math.exp(v - m));
      const s = e.reduce((a, v) => a + v, 0);
      return e.map((v) => v / s);
    };
    const s0 = softmaxRow(act.slice(0, 3));
    const s1 = softmaxRow(act.slice(3));
    expect(maxAbsError(out.colsum!.data as Float32Array, s0.map((v, i) => v + s1[i]!))).toBeLessThan(1e-6);
  });

  it('computes LayerNormalization and exact GELU as PyTorch defines them', async () => {
    const g = new GraphBuilder('ln');
    const x = g.input('x', 'F32', [2, 4]);
    const w = g.initializer({ dtype: 'F32', shape: [4], data: new Float32Array([1, 2, 0.5, -1]) }, 'w');
    const b = g.initializer({ dtype: 'F32', shape: [4], data: new Float32Array([0, 1, 0, 0.5]) }, 'b');
    g.output(g.layerNorm(x, w, b, 1e-5), 'ln', 'F32', [2, 4]);
    g.output(g.gelu(x, false), 'gelu', 'F32', [2, 4]);
    g.output(g.gelu(x, true), 'quick', 'F32', [2, 4]);
    const xs = new Float32Array([1, 2, 3, 4, -1, 0.5, 0, 2]);
    const out = await runOnnx(serializeModel(g.build()), { x: floatTensor(xs, [2, 4]) });

    const ln: number[] = [];
    for (let r = 0; r < 2; r++) {
      const row = Array.from(xs.slice(r * 4, r * 4 + 4));
      const mean = row.reduce((a, v) => a + v, 0) / 4;
      const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / 4;
      row.forEach((v, i) => ln.push(((v - mean) / Math.sqrt(variance + 1e-5)) * [1, 2, 0.5, -1][i]! + [0, 1, 0, 0.5][i]!));
    }
    expect(maxAbsError(out.ln!.data as Float32Array, ln)).toBeLessThan(1e-5);
    // GELU(1) = 0.8413447460685429 and GELU(-1) = -0.15865525393145707 (Φ(±1) values).
    const gelu = out.gelu!.data as Float32Array;
    expect(Math.abs(gelu[0]! - 0.8413447460685429)).toBeLessThan(1e-6);
    expect(Math.abs(gelu[4]! + 0.15865525393145707)).toBeLessThan(1e-6);
    const quick = Array.from(xs, (v) => v / (1 + Math.exp(-1.702 * v)));
    expect(maxAbsError(out.quick!.data as Float32Array, quick)).toBeLessThan(1e-6);
  });

  it('refuses graphs that read a value before defining it', () => {
    const graph: Graph = {
      name: 'broken',
      inputs: [{ name: 'x', dtype: 'F32', shape: [1] }],
      outputs: [{ name: 'y', dtype: 'F32', shape: [1] }],
      nodes: [{ op: 'Add', inputs: ['x', 'later'], outputs: ['y'], attributes: {}, name: 'add' }],
      initializers: new Map(),
    };
    expect(() => validateGraph(graph)).toThrow(AaclipError);
    expect(() => serializeModel(graph)).toThrow(/reads "later" before it is defined/);
  });

  it('refuses an external data path that leaves the model directory', () => {
    const { graph } = affineGraph();
    expect(() => serializeModel(graph, { externalDataThreshold: 0, externalDataPath: '../w.bin' })).toThrow(/externalDataPath/);
  });
});
