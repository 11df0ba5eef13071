/**
 * Encodes a graph as an ONNX ModelProto (IR version 8, default-domain opset 17), optionally with
 * large initializers in external data files (TensorProto.data_location = EXTERNAL), which keeps
 * big models under protobuf's 2 GiB message limit.
 */
import { AaclipError } from '../../errors/aaclipError.js';
import type { Tensor } from '../../tensor/tensor.js';
import { numel, shapeToString } from '../../tensor/tensor.js';
import { DTYPE_ITEM_SIZE, dataMatchesDType } from '../../weights/dtypeLayout.js';
import type { Attr, Graph, Node, ValueInfo } from '../ir.js';
import { validateGraph } from '../ir.js';
import { ONNX_DATA_TYPE } from './onnxDataType.js';
import { ProtoWriter } from './protobufWriter.js';

export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;
/** Opset of the com.microsoft domain, imported when a node uses it. */
export const MICROSOFT_OPSET = 1;

/** Without an explicit threshold, data goes external once all initializers together exceed this. */
export const DEFAULT_EXTERNAL_DATA_TOTAL = 1024 ** 3;
/** With external data on by default, initializers of at least this many bytes move out. */
export const DEFAULT_EXTERNAL_DATA_THRESHOLD = 1024;
/** Tensor offsets in external files are aligned so runtimes can map them. */
export const EXTERNAL_DATA_ALIGNMENT = 4096;

/**
 * How external initializers are laid out: 'packed' copies them into 4096-aligned files of up to
 * `maxExternalFileBytes`; 'per-tensor' gives each its own entry "<externalDataPath>.<index>"
 * whose data is a view of the tensor (no copy).
 */
export type ExternalDataLayout = 'packed' | 'per-tensor';

export interface SerializeOptions {
  /**
   * Initializers of at least this many bytes are stored externally. Default: external data only
   * when the initializers together exceed 1 GiB, then every initializer of 1 KiB or more.
   */
  externalDataThreshold?: number;
  /** File name (relative to the model file) of the external data. Default "model.onnx.data". */
  externalDataPath?: string;
  /** Default 'packed'. */
  externalDataLayout?: ExternalDataLayout;
  /** A new external file is started before one would grow past this many bytes. Default 1 GiB. */
  maxExternalFileBytes?: number;
  producerName?: string;
  producerVersion?: string;
}

export interface SerializedModel {
  model: Uint8Array;
  /**
   * External data files; `path` is relative to the directory of the model file. With the
   * per-tensor layout each `data` views its initializer's memory.
   */
  externalData: { path: string; data: Uint8Array }[];
}

// Field numbers from onnx.proto.
const MODEL = { irVersion: 1, producerName: 2, producerVersion: 3, graph: 7, opsetImport: 8 } as const;
const OPSET_ID = { domain: 1, version: 2 } as const;
const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 } as const;
const ATTRIBUTE = { name: 1, f: 2, i: 3, s: 4, t: 5, floats: 7, ints: 8, strings: 9, type: 20 } as const;
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7, strings: 8 } as const;
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9, externalData: 13, dataLocation: 14 } as const;
const STRING_ENTRY = { key: 1, value: 2 } as const;
const DATA_LOCATION_EXTERNAL = 1;
const VALUE_INFO = { name: 1, type: 2 } as const;
const TYPE = { tensorType: 1 } as const;
const TENSOR_TYPE = { elemType: 1, shape: 2 } as const;
const SHAPE = { dim: 1 } as const;
const DIMENSION = { dimValue: 1, dimParam: 2 } as const;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The little-endian bytes of a tensor's data (a view, not a copy). */
export function tensorBytes(tensor: Tensor, name: string): Uint8Array {
  if (!LITTLE_ENDIAN) throw new AaclipError('ONNX serialisation needs a little-endian platform', name);
  if (!dataMatchesDType(tensor.dtype, tensor.data)) {
    throw new AaclipError(`data array does not hold dtype ${tensor.dtype}`, name);
  }
  const expected = numel(tensor.shape);
  if (tensor.data.length !== expected) {
    throw new AaclipError(`has ${tensor.data.length} elements, shape ${shapeToString(tensor.shape)} needs ${expected}`, name);
  }
  return new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, expected * DTYPE_ITEM_SIZE[tensor.dtype]);
}

interface ExternalPlacement {
  location: string;
  offset: number;
  length: number;
}

export function serializeModel(graph: Graph, options: SerializeOptions = {}): SerializedModel {
  validateGraph(graph);
  const placements = placeExternalData(graph, options);

  const writer = new ProtoWriter();
  writer.int(MODEL.irVersion, ONNX_IR_VERSION);
  writer.string(MODEL.producerName, options.producerName ?? 'aaclip');
  if (options.producerVersion) writer.string(MODEL.producerVersion, options.producerVersion);
  writer.message(MODEL.graph, (w) => writeGraph(w, graph, placements.byName));
  for (const [domain, version] of opsetImports(graph)) {
    writer.message(MODEL.opsetImport, (w) => {
      if (domain !== '') w.string(OPSET_ID.domain, domain);
      w.int(OPSET_ID.version, version);
    });
  }
  return { model: writer.finish(), externalData: placements.files };
}

function opsetImports(graph: Graph): Map<string, number> {
  const imports = new Map<string, number>([['', ONNX_OPSET], ...Object.entries(graph.opsets ?? {})]);
  for (const node of graph.nodes) {
    const domain = node.domain ?? '';
    if (imports.has(domain)) continue;
    if (domain === 'com.microsoft') imports.set(domain, MICROSOFT_OPSET);
    else throw new AaclipError(`node "${node.name}" uses operator domain "${domain}", which has no known opset`, `graph ${graph.name}`);
  }
  return imports;
}

function placeExternalData(
  graph: Graph,
  options: SerializeOptions,
): { byName: Map<string, ExternalPlacement>; files: SerializedModel['externalData'] } {
  let threshold = options.externalDataThreshold;
  if (threshold === undefined) {
    let total = 0;
    for (const [name, tensor] of graph.initializers) total += tensorBytes(tensor, name).byteLength;
    threshold = total > DEFAULT_EXTERNAL_DATA_TOTAL ? DEFAULT_EXTERNAL_DATA_THRESHOLD : Infinity;
  }
  if (!(threshold >= 0)) throw new AaclipError(`must be a non-negative number of bytes, got ${threshold}`, 'externalDataThreshold');
  const basePath = options.externalDataPath ?? 'model.onnx.data';
  if (basePath === '' || basePath.includes('..') || basePath.startsWith('/')) {
    throw new AaclipError(`must be a plain relative file name, got "${basePath}"`, 'externalDataPath');
  }
  const maxFileBytes = options.maxExternalFileBytes ?? 1024 ** 3;
  const layout = options.externalDataLayout ?? 'packed';
  if (layout !== 'packed' && layout !== 'per-tensor') {
    throw new AaclipError(`must be "packed" or "per-tensor", got "${String(layout)}"`, 'externalDataLayout');
  }

  if (layout === 'per-tensor') {
    const byName = new Map<string, ExternalPlacement>();
    const files: SerializedModel['externalData'] = [];
    for (const [name, tensor] of graph.initializers) {
      const bytes = tensorBytes(tensor, name);
      if (bytes.byteLength < threshold || bytes.byteLength === 0) continue;
      const location = `${basePath}.${files.length}`;
      byName.set(name, { location, offset: 0, length: bytes.byteLength });
      files.push({ path: location, data: bytes });
    }
    return { byName, files };
  }

  // First pass: offsets per file; second pass: fill the files.
  const byName = new Map<string, ExternalPlacement>();
  const fileSizes: number[] = [];
  const pieces: { file: number; offset: number; bytes: Uint8Array }[] = [];
  for (const [name, tensor] of graph.initializers) {
    const bytes = tensorBytes(tensor, name);
    if (bytes.byteLength < threshold || bytes.byteLength === 0) continue;
    let file = fileSizes.length - 1;
    let offset = file >= 0 ? alignUp(fileSizes[file]!, EXTERNAL_DATA_ALIGNMENT) : 0;
    if (file < 0 || (offset + bytes.byteLength > maxFileBytes && fileSizes[file]! > 0)) {
      fileSizes.push(0);
      file = fileSizes.length - 1;
      offset = 0;
    }
    fileSizes[file] = offset + bytes.byteLength;
    const location = file === 0 ? basePath : `${basePath}.${file}`;
    byName.set(name, { location, offset, length: bytes.byteLength });
    pieces.push({ file, offset, bytes });
  }
  const files = fileSizes.map((size, file) => ({
    path: file === 0 ? basePath : `${basePath}.${file}`,
    data: new Uint8Array(size),
  }));
  for (const piece of pieces) files[piece.file]!.data.set(piece.bytes, piece.offset);
  return { byName, files };
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

function writeGraph(w: ProtoWriter, graph: Graph, external: Map<string, ExternalPlacement>): void {
  for (const node of graph.nodes) w.message(GRAPH.node, (n) => writeNode(n, node));
  w.string(GRAPH.name, graph.name);
  for (const [name, tensor] of graph.initializers) {
    w.message(GRAPH.initializer, (t) => writeTensor(t, name, tensor, external.get(name)));
  }
  for (const input of graph.inputs) w.message(GRAPH.input, (v) => writeValueInfo(v, input));
  for (const output of graph.outputs) w.message(GRAPH.output, (v) => writeValueInfo(v, output));
}

function writeNode(w: ProtoWriter, node: Node): void {
  for (const input of node.inputs) w.string(NODE.input, input);
  for (const output of node.outputs) w.string(NODE.output, output);
  w.string(NODE.name, node.name);
  w.string(NODE.opType, node.op);
  for (const [name, attr] of Object.entries(node.attributes)) {
    w.message(NODE.attribute, (a) => writeAttribute(a, name, attr, node));
  }
  if (node.domain) w.string(NODE.domain, node.domain);
}

function writeAttribute(w: ProtoWriter, name: string, attr: Attr, node: Node): void {
  w.string(ATTRIBUTE.name, name);
  w.int(ATTRIBUTE.type, ATTRIBUTE_TYPE[attr.kind]);
  const checkInt = (v: number): number => {
    if (!Number.isSafeInteger(v)) throw new AaclipError(`attribute ${name} needs integers, got ${v}`, `node ${node.name}`);
    return v;
  };
  switch (attr.kind) {
    case 'float':
      w.float(ATTRIBUTE.f, attr.value);
      break;
    case 'int':
      w.int(ATTRIBUTE.i, checkInt(attr.value));
      break;
    case 'string':
      w.string(ATTRIBUTE.s, attr.value);
      break;
    case 'tensor':
      w.message(ATTRIBUTE.t, (t) => writeTensor(t, '', attr.value, undefined));
      break;
    case 'floats':
      for (const v of attr.value) w.float(ATTRIBUTE.floats, v);
      break;
    case 'ints':
      for (const v of attr.value) w.int(ATTRIBUTE.ints, checkInt(v));
      break;
    case 'strings':
      for (const v of attr.value) w.string(ATTRIBUTE.strings, v);
      break;
  }
}

function writeTensor(w: ProtoWriter, name: string, tensor: Tensor, external: ExternalPlacement | undefined): void {
  for (const dim of tensor.shape) w.int(TENSOR.dims, dim);
  w.int(TENSOR.dataType, ONNX_DATA_TYPE[tensor.dtype]);
  if (name !== '') w.string(TENSOR.name, name);
  if (external) {
    const entries: [string, string][] = [
      ['location', external.location],
      ['offset', String(external.offset)],
      ['length', String(external.length)],
    ];
    for (const [key, value] of entries) {
      w.message(TENSOR.externalData, (e) => {
        e.string(STRING_ENTRY.key, key);
        e.string(STRING_ENTRY.value, value);
      });
    }
    w.int(TENSOR.dataLocation, DATA_LOCATION_EXTERNAL);
  } else {
    w.bytes(TENSOR.rawData, tensorBytes(tensor, name || 'tensor attribute'));
  }
}

function writeValueInfo(w: ProtoWriter, info: ValueInfo): void {
  w.string(VALUE_INFO.name, info.name);
  w.message(VALUE_INFO.type, (type) =>
    type.message(TYPE.tensorType, (tt) => {
      tt.int(TENSOR_TYPE.elemType, ONNX_DATA_TYPE[info.dtype]);
      tt.message(TENSOR_TYPE.shape, (shape) => {
        for (const dim of info.shape) {
          shape.message(SHAPE.dim, (d) => {
            if (typeof dim === 'number') d.int(DIMENSION.dimValue, dim);
            else d.string(DIMENSION.dimParam, dim);
          });
        }
      });
    }),
  );
}
