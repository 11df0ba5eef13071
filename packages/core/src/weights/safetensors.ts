// safetensors: an 8-byte little-endian header length, a UTF-8 JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}},
// then the data area the offsets point into. Every field is checked before it is trusted.
import { AaclipError, oneLineText } from '../errors/aaclipError.js';
import type { DType, Tensor, TensorData, TensorMap } from '../tensor/tensor.js';
import { numel, shapeToString } from '../tensor/tensor.js';
import { bfloat16ToFloat32, halfToFloat32 } from './halfFloat.js';
import {
  DTYPE_ITEM_SIZE,
  dataMatchesDType,
  isKnownDType,
  tensorDataFromBytes,
  typedArrayView,
} from './dtypeLayout.js';
import { scanJsonStructure } from './jsonStructureScan.js';

/** Headers larger than this are refused (real checkpoints' headers are well under a megabyte). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;
/**
 * Objects and arrays may nest at most this deep in a header (a real one nests 3 deep: the header,
 * a tensor's entry, its shape), so no later walk of a hostile value can run out of stack.
 */
export const MAX_SAFETENSORS_HEADER_DEPTH = 16;
/** The header key that holds the file's metadata; no tensor may have this name. */
export const SAFETENSORS_METADATA_KEY = '__metadata__';
const METADATA_KEY = SAFETENSORS_METADATA_KEY;
/** Names (tensor names, metadata keys) taken from a file are shown at most this long in errors. */
const SHOWN_NAME_LENGTH = 120;
/** A value from a header is shown at most this long in errors. */
const SHOWN_VALUE_LENGTH = 60;

export interface SafetensorsContents {
  tensors: TensorMap;
  metadata: Record<string, string>;
}

interface HeaderEntry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A tensor name or key from the file, quoted, on one line and bounded. */
function quoted(name: string): string {
  return `"${oneLineText(name, SHOWN_NAME_LENGTH)}"`;
}

/**
 * The start of a header value as JSON text, cut to SHOWN_VALUE_LENGTH: the walk stops once that
 * much is written, so a huge array or string costs no more than a small one.
 */
function describe(value: unknown): string {
  const parts: string[] = [];
  let length = 0;
  const emit = (text: string): void => {
    parts.push(text);
    length += text.length;
  };
  const full = (): boolean => length > SHOWN_VALUE_LENGTH;
  // Recursion is bounded: readSafetensors refuses headers nested past MAX_SAFETENSORS_HEADER_DEPTH.
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      emit('[');
      for (let i = 0; i < v.length && !full(); i++) {
        if (i > 0) emit(',');
        walk(v[i]);
      }
      emit(']');
    } else if (isPlainObject(v)) {
      emit('{');
      let first = true;
      for (const key in v) {
        if (full()) break;
        if (!first) emit(',');
        first = false;
        emit(`${JSON.stringify(key.slice(0, SHOWN_VALUE_LENGTH + 1))}:`);
        walk(v[key]);
      }
      emit('}');
    } else if (typeof v === 'string') {
      emit(JSON.stringify(v.slice(0, SHOWN_VALUE_LENGTH + 1)));
    } else {
      emit(JSON.stringify(v) ?? String(v));
    }
  };
  walk(value);
  const text = parts.join('');
  return text.length > SHOWN_VALUE_LENGTH ? `${text.slice(0, SHOWN_VALUE_LENGTH - 3)}...` : text;
}

function parseEntry(name: string, raw: unknown, dataLength: number, source: string): HeaderEntry {
  const fail = (problem: string): never => {
    throw new AaclipError(`tensor ${quoted(name)}: ${problem}`, source);
  };
  if (!isPlainObject(raw)) return fail(`header entry is ${describe(raw)}, not an object`);
  const { dtype, shape, data_offsets: offsets } = raw;
  if (!isKnownDType(dtype)) {
    return fail(`unknown dtype ${describe(dtype)} (known: ${Object.keys(DTYPE_ITEM_SIZE).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    return fail(`shape ${describe(shape)} is not a list of non-negative integers`);
  }
  const dims = shape as number[];
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)
  ) {
    return fail(`data_offsets ${describe(offsets)} is not a pair of non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) return fail(`data_offsets begin ${begin} is after end ${end}`);
  if (end > dataLength) {
    return fail(`data_offsets end ${end} is past the end of the data (${dataLength} bytes)`);
  }
  const expected = numel(dims) * DTYPE_ITEM_SIZE[dtype];
  if (!Number.isSafeInteger(expected)) return fail(`shape ${shapeToString(dims)} is too large`);
  if (end - begin !== expected) {
    return fail(
      `${dtype} ${shapeToString(dims)} needs ${expected} bytes, but data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  return { name, dtype, shape: dims, begin, end };
}

function parseMetadata(raw: unknown, source: string): Record<string, string> {
  if (!isPlainObject(raw)) throw new AaclipError(`${METADATA_KEY} is ${describe(raw)}, not an object`, source);
  const entries: [string, string][] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') {
      throw new AaclipError(`${METADATA_KEY} ${quoted(key)} is ${describe(value)}, not a string`, source);
    }
    entries.push([key, value]);
  }
  // fromEntries defines own properties, so a key "__proto__" stays a key.
  return Object.fromEntries(entries);
}

function checkNoOverlap(entries: HeaderEntry[], source: string): void {
  // Empty tensors occupy no bytes and cannot collide with anything.
  const sorted = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.begin < prev.end) {
      throw new AaclipError(
        `tensor ${quoted(cur.name)}: data_offsets [${cur.begin}, ${cur.end}] overlap tensor ${quoted(prev.name)} [${prev.begin}, ${prev.end}]`,
        source,
      );
    }
  }
}

/**
 * Reads a safetensors file; `source` (the file name) prefixes every error. The tensors are views
 * of `bytes` wherever their data is aligned for their dtype (nothing is copied): they share its
 * memory, so leave `bytes` unchanged while they are in use.
 */
export function readSafetensors(bytes: Uint8Array, source: string): SafetensorsContents {
  if (bytes.length < 8) {
    throw new AaclipError(`file is ${bytes.length} bytes, too short for a safetensors header`, source);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength64 = view.getBigUint64(0, true);
  const available = bytes.length - 8;
  if (headerLength64 > BigInt(available)) {
    throw new AaclipError(
      `header length ${headerLength64} is past the end of the file (${available} bytes after the length field)`,
      source,
    );
  }
  const headerLength = Number(headerLength64);
  if (headerLength > MAX_HEADER_BYTES) {
    throw new AaclipError(`header length ${headerLength} is implausibly large`, source);
  }
  let header: unknown;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new AaclipError(`header is not UTF-8 JSON (${why})`, source);
  }
  // Depth first (before anything walks the value), duplicates once the text is known to be JSON.
  const finding = scanJsonStructure(text, MAX_SAFETENSORS_HEADER_DEPTH);
  if (finding?.kind === 'tooDeep') {
    throw new AaclipError(
      `header nests objects/arrays ${finding.depth} deep, past the limit of ${MAX_SAFETENSORS_HEADER_DEPTH} (a safetensors header nests 3 deep)`,
      source,
    );
  }
  try {
    header = JSON.parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new AaclipError(`header is not UTF-8 JSON (${why})`, source);
  }
  if (finding?.kind === 'duplicateKey') {
    const where = finding.path.length === 0 ? 'the header' : `the header entry ${finding.path.map(quoted).join(' → ')}`;
    const what = finding.path.length === 0 ? 'tensor name' : 'key';
    throw new AaclipError(`${what} ${quoted(finding.key)} appears twice in ${where} (which one is meant is ambiguous)`, source);
  }
  if (!isPlainObject(header)) {
    throw new AaclipError(`header is ${describe(header)}, not a JSON object`, source);
  }

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = parseMetadata(raw, source);
    else entries.push(parseEntry(name, raw, dataLength, source));
  }
  checkNoOverlap(entries, source);

  const tensors: TensorMap = new Map();
  for (const e of entries) {
    const data = tensorDataView(e.dtype, bytes, dataStart + e.begin, e.end - e.begin);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

/**
 * A typed array over `bytes[byteOffset, byteOffset + byteLength)`: a view sharing the file's
 * memory when the bytes are aligned for the dtype (the usual case: the writer pads the header
 * to 8 bytes), a copy only when they are not.
 */
function tensorDataView(dtype: DType, bytes: Uint8Array, byteOffset: number, byteLength: number): TensorData {
  const start = bytes.byteOffset + byteOffset;
  if (start % DTYPE_ITEM_SIZE[dtype] !== 0) return tensorDataFromBytes(dtype, bytes, byteOffset, byteLength);
  return typedArrayView(dtype, bytes.buffer, start, byteLength / DTYPE_ITEM_SIZE[dtype]);
}

/**
 * Serialises tensors (in insertion order) to safetensors; the header is space-padded to a multiple
 * of 8. A tensor named "__metadata__" is refused (its entry would take the metadata's place);
 * `source` (the file being written) names the file in errors.
 */
export function writeSafetensors(tensors: TensorMap, metadata?: Record<string, string>, source?: string): Uint8Array {
  if (tensors.has(METADATA_KEY)) {
    throw new AaclipError(`a tensor cannot be named "${METADATA_KEY}": safetensors reserves that key for the file's metadata`, source);
  }
  const entries: [string, unknown][] = [];
  if (metadata && Object.keys(metadata).length > 0) entries.push([METADATA_KEY, { ...metadata }]);
  let offset = 0;
  for (const [name, t] of tensors) {
    const byteLength = numel(t.shape) * DTYPE_ITEM_SIZE[t.dtype];
    if (!dataMatchesDType(t.dtype, t.data) || t.data.byteLength !== byteLength) {
      throw new AaclipError(
        `tensor ${quoted(name)}: ${t.dtype} ${shapeToString(t.shape)} does not match its data (${t.data.constructor.name} of ${t.data.length} elements)`,
        source,
      );
    }
    entries.push([name, { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + byteLength] }]);
    offset += byteLength;
  }
  // fromEntries defines own properties, so a tensor named "__proto__" is written like any other.
  const json = new TextEncoder().encode(JSON.stringify(Object.fromEntries(entries)));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let cursor = 8 + headerLength;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), cursor);
    cursor += t.data.byteLength;
  }
  return out;
}

/**
 * Returns `t` as an F32 tensor: F16 / BF16 (raw bits) and F64 are converted, F32 is returned as is.
 * Real Hugging Face checkpoints are often stored in half precision. Integer tensors are refused.
 */
export function toFloat32(t: Tensor, name?: string): Tensor {
  switch (t.dtype) {
    case 'F32':
      return t;
    case 'F16':
      return { dtype: 'F32', shape: [...t.shape], data: halfToFloat32(t.data as Uint16Array) };
    case 'BF16':
      return { dtype: 'F32', shape: [...t.shape], data: bfloat16ToFloat32(t.data as Uint16Array) };
    case 'F64':
      return { dtype: 'F32', shape: [...t.shape], data: Float32Array.from(t.data as Float64Array) };
    default:
      throw new AaclipError(
        `${name ? `tensor "${name}"` : 'tensor'} has dtype ${t.dtype}, which cannot be converted to F32 weights`,
      );
  }
}
