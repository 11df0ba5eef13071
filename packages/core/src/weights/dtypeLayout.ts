import type { DType, TensorData } from '../tensor/tensor.js';

/** Bytes per element of each dtype, as laid out in safetensors and torch storages (little-endian). */
export const DTYPE_ITEM_SIZE: Readonly<Record<DType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export function isKnownDType(name: unknown): name is DType {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_ITEM_SIZE, name);
}

/** A zeroed typed array of `length` elements of the JS array type that holds `dtype`. */
export function allocateTensorData(dtype: DType, length: number): TensorData {
  switch (dtype) {
    case 'F64':
      return new Float64Array(length);
    case 'F32':
      return new Float32Array(length);
    case 'F16':
    case 'BF16':
      return new Uint16Array(length); // raw bits
    case 'I64':
      return new BigInt64Array(length);
    case 'I32':
      return new Int32Array(length);
    case 'I16':
      return new Int16Array(length);
    case 'I8':
      return new Int8Array(length);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(length);
  }
}

/**
 * A typed array of `dtype` viewing `length` elements of `buffer` from `byteOffset` (which must be
 * a multiple of the element size). Shares the memory: nothing is copied.
 */
export function typedArrayView(dtype: DType, buffer: ArrayBufferLike, byteOffset: number, length: number): TensorData {
  switch (dtype) {
    case 'F64':
      return new Float64Array(buffer, byteOffset, length);
    case 'F32':
      return new Float32Array(buffer, byteOffset, length);
    case 'F16':
    case 'BF16':
      return new Uint16Array(buffer, byteOffset, length); // raw bits
    case 'I64':
      return new BigInt64Array(buffer, byteOffset, length);
    case 'I32':
      return new Int32Array(buffer, byteOffset, length);
    case 'I16':
      return new Int16Array(buffer, byteOffset, length);
    case 'I8':
      return new Int8Array(buffer, byteOffset, length);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(buffer, byteOffset, length);
  }
}

/**
 * Copies `byteLength` little-endian bytes starting at `bytes[byteOffset]` into a fresh typed array
 * of `dtype`. The source offset may be unaligned, so the bytes are copied before being viewed.
 * (Typed arrays use the platform's byte order; every platform the project targets is little-endian.)
 */
export function tensorDataFromBytes(
  dtype: DType,
  bytes: Uint8Array,
  byteOffset: number,
  byteLength: number,
): TensorData {
  const data = allocateTensorData(dtype, byteLength / DTYPE_ITEM_SIZE[dtype]);
  new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(
    bytes.subarray(byteOffset, byteOffset + byteLength),
  );
  return data;
}

/** True when `data` is the typed array type that holds `dtype`. */
export function dataMatchesDType(dtype: DType, data: TensorData): boolean {
  switch (dtype) {
    case 'F64':
      return data instanceof Float64Array;
    case 'F32':
      return data instanceof Float32Array;
    case 'F16':
    case 'BF16':
      return data instanceof Uint16Array;
    case 'I64':
      return data instanceof BigInt64Array;
    case 'I32':
      return data instanceof Int32Array;
    case 'I16':
      return data instanceof Int16Array;
    case 'I8':
      return data instanceof Int8Array;
    case 'U8':
    case 'BOOL':
      return data instanceof Uint8Array;
  }
}
