// A small ONNX model for backend tests: y = x @ w + b and an int64 embedding lookup, with the
// weights placed in external data so the external-data path of a backend is exercised.
import { GraphBuilder, serializeModel, type ModelBytes } from '@aaclip/core';

export const TINY_IN = 64;
export const TINY_OUT = 32;
export const TINY_VOCAB = 20;

export interface TinyModel extends ModelBytes {
  readonly w: Float32Array;
  readonly b: Float32Array;
  readonly table: Float32Array;
}

/** Deterministic pseudo-random values in [-1, 1). */
export function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export function buildTinyModel(): TinyModel {
  const w = seeded(TINY_IN * TINY_OUT, 1);
  const b = seeded(TINY_OUT, 2);
  const table = seeded(TINY_VOCAB * TINY_OUT, 3);
  const g = new GraphBuilder('tiny');
  const x = g.input('x', 'F32', ['batch', TINY_IN]);
  const ids = g.input('ids', 'I64', ['batch']);
  const wName = g.initializer({ dtype: 'F32', shape: [TINY_IN, TINY_OUT], data: w }, 'w');
  const bName = g.initializer({ dtype: 'F32', shape: [TINY_OUT], data: b }, 'b');
  const tableName = g.initializer({ dtype: 'F32', shape: [TINY_VOCAB, TINY_OUT], data: table }, 'table');
  g.output(g.add(g.matmul(x, wName), bName), 'y', 'F32', ['batch', TINY_OUT]);
  g.output(g.gather(tableName, ids, 0), 'rows', 'F32', ['batch', TINY_OUT]);
  const serialized = serializeModel(g.build(), { externalDataThreshold: 1024, externalDataPath: 'tiny.onnx.data' });
  return { ...serialized, w, b, table };
}

/** x @ w + b in float64, the reference for the backend's output. */
export function expectedAffine(model: TinyModel, x: Float32Array, batch: number): Float64Array {
  const out = new Float64Array(batch * TINY_OUT);
  for (let r = 0; r < batch; r++) {
    for (let c = 0; c < TINY_OUT; c++) {
      let sum = model.b[c]!;
      for (let k = 0; k < TINY_IN; k++) sum += x[r * TINY_IN + k]! * model.w[k * TINY_OUT + c]!;
      out[r * TINY_OUT + c] = sum;
    }
  }
  return out;
}
