// Test helper: runs a serialised model with onnxruntime-node. The model and its external data are
// written to a temporary directory and the session is created from the file path, because
// onnxruntime-node resolves external data only relative to a model file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';

export interface SerializedForTest {
  readonly model: Uint8Array;
  readonly externalData: readonly { readonly path: string; readonly data: Uint8Array }[];
}

export type Feeds = Record<string, ort.Tensor>;

export async function runOnnx(serialized: SerializedForTest, feeds: Feeds): Promise<Record<string, ort.Tensor>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'aaclip-onnx-'));
  try {
    const modelPath = path.join(dir, 'model.onnx');
    writeFileSync(modelPath, serialized.model);
    for (const file of serialized.externalData) writeFileSync(path.join(dir, file.path), file.data);
    const session = await ort.InferenceSession.create(modelPath, { graphOptimizationLevel: 'all' });
    try {
      return await session.run(feeds);
    } finally {
      await session.release();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function floatTensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, [...dims]);
}

export function int64Tensor(data: BigInt64Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('int64', data, [...dims]);
}
