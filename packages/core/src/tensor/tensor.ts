/** Element types the project reads and writes (safetensors / ONNX names differ; see each codec). */
export type DType = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export type TensorData =
  | Float32Array
  | Float64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | Uint16Array // F16 / BF16 raw bits
  | BigInt64Array;

/** A dense row-major tensor on the host. */
export interface Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

/** Named tensors, e.g. a state dict. Insertion order is kept. */
export type TensorMap = Map<string, Tensor>;

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function float32Tensor(shape: readonly number[], data?: Float32Array): Tensor {
  const n = numel(shape);
  if (data && data.length !== n) {
    throw new Error(`tensor data has ${data.length} elements, shape [${shape.join(', ')}] needs ${n}`);
  }
  return { dtype: 'F32', shape: [...shape], data: data ?? new Float32Array(n) };
}

export function shapeToString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
