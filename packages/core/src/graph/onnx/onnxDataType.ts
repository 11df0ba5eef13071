import type { DType } from '../../tensor/tensor.js';

/** ONNX TensorProto.DataType codes of the project's dtypes (onnx.proto). */
export const ONNX_DATA_TYPE: Readonly<Record<DType, number>> = {
  F32: 1,
  U8: 2,
  I8: 3,
  I16: 5,
  I32: 6,
  I64: 7,
  BOOL: 9,
  F16: 10,
  F64: 11,
  BF16: 16,
};
