import * as ort from 'onnxruntime-web';
import { AaclipError, type Tensor } from '@aaclip/core';

/** Host tensor → onnxruntime-web tensor (shares the buffer). */
export function toOrtTensor(name: string, tensor: Tensor): ort.Tensor {
  const dims = [...tensor.shape];
  switch (tensor.dtype) {
    case 'F32':
      return new ort.Tensor('float32', tensor.data as Float32Array, dims);
    case 'I64':
      return new ort.Tensor('int64', tensor.data as BigInt64Array, dims);
    case 'I32':
      return new ort.Tensor('int32', tensor.data as Int32Array, dims);
    default:
      throw new AaclipError(`input "${name}" has dtype ${tensor.dtype}, which sessions do not take`);
  }
}

/** onnxruntime-web tensor (already on the CPU) → host tensor (float32 and int64 outputs). */
export function fromOrtTensor(name: string, value: ort.Tensor): Tensor {
  const shape = value.dims.map(Number);
  if (value.type === 'float32') return { dtype: 'F32', shape, data: value.data as Float32Array };
  if (value.type === 'int64') return { dtype: 'I64', shape, data: value.data as BigInt64Array };
  throw new AaclipError(`output "${name}" has type ${value.type}, which the pipeline does not read`);
}
