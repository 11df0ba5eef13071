// The per-tensor external data layout: one entry per large initializer, viewing the tensor's own
// memory (no copy), and the same results in onnxruntime as the packed layout.
import { describe, expect, it } from 'vitest';
import { AaclipError, GraphBuilder, serializeModel } from '@aaclip/core';
import { floatTensor, runOnnx } from './runOnnx.js';
import { readOnnxModel } from '../../../../test-support/onnxReader.js';
import { maxAbsError } from '@aaclip/core/testing';

/** y = Gemm(x, W, b, transB = 1) with W [3, 2] (PyTorch layout), and a small scale initializer. */
function linearGraph() {
  const w = new Float32Array([1, 2, -3, 0.5, 4, -1]);
  const b = new Float32Array([0.25, -2, 10]);
  const g = new GraphBuilder('linear');
  const x = g.input('x', 'F32', ['rows', 2]);
  const y = g.linearRows(x, { dtype: 'F32', shape: [3, 2], data: w }, { dtype: 'F32', shape: [3], data: b }, 'fc');
  g.output(g.mul(y, g.scalar(2)), 'y', 'F32', ['rows', 3]);
  return { graph: g.build(), w, b };
}

function reference(x: Float32Array, w: Float32Array, b: Float32Array): Float32Array {
  const rows = x.length / 2;
  const out = new Float32Array(rows * 3);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < 3; o++) out[r * 3 + o] = 2 * (x[r * 2]! * w[o * 2]! + x[r * 2 + 1]! * w[o * 2 + 1]! + b[o]!);
  }
  return out;
}

describe('per-tensor external data', () => {
  it('gives each initializer at or above the threshold its own entry, viewing the tensor memory', async () => {
    const { graph, w, b } = linearGraph();
    const serialized = serializeModel(graph, { externalDataThreshold: 12, externalDataPath: 'w.bin', externalDataLayout: 'per-tensor' });
    // W (24 bytes) and b (12 bytes) go out; the 4-byte scalar stays inline.
    expect(serialized.externalData.map((f) => f.path)).toEqual(['w.bin.0', 'w.bin.1']);
    expect(serialized.externalData[0]!.data.buffer).toBe(w.buffer);
    expect(serialized.externalData[0]!.data.byteLength).toBe(24);
    expect(serialized.externalData[1]!.data.buffer).toBe(b.buffer);
    // The model points each of them at its own file, from offset 0; the scalar's bytes stay in the model.
    const initializers = readOnnxModel(serialized.model).graph.initializers;
    expect(initializers.filter((t) => t.external).map((t) => [t.name, t.external])).toEqual([
      ['fc.weight', { location: 'w.bin.0', offset: 0, length: 24 }],
      ['fc.bias', { location: 'w.bin.1', offset: 0, length: 12 }],
    ]);
    expect(initializers.filter((t) => !t.external).map((t) => t.rawData?.byteLength)).toEqual([4]);
    const x = new Float32Array([1, 2, -3, 0.5]);
    const perTensor = await runOnnx(serialized, { x: floatTensor(x, [2, 2]) });
    const packed = await runOnnx(serializeModel(graph, { externalDataThreshold: 12 }), { x: floatTensor(x, [2, 2]) });
    expect(maxAbsError(perTensor.y!.data as Float32Array, reference(x, w, b))).toBeLessThan(1e-6);
    expect(maxAbsError(perTensor.y!.data as Float32Array, packed.y!.data as Float32Array)).toBe(0);
  });

  it('refuses an unknown layout by naming the option', () => {
    const { graph } = linearGraph();
    const bad = { externalDataLayout: 'scattered' } as unknown as Parameters<typeof serializeModel>[1];
    expect(() => serializeModel(graph, bad)).toThrow(AaclipError);
    expect(() => serializeModel(graph, bad)).toThrow(/^externalDataLayout: must be "packed" or "per-tensor"/);
  });
});
