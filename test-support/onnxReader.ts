// A small reader of ONNX ModelProto bytes for tests: it decodes the protobuf wire format itself
// (field numbers from onnx.proto, written out here rather than taken from the serializer under
// test) into the parts structural tests look at — operators and their domains, initializers
// (name, shape, dtype, inline or external), graph inputs and outputs, opset imports. Fields it
// does not know are skipped, so it reads models from any producer; malformed bytes throw.

export interface OnnxAttribute {
  readonly name: string;
  /** AttributeProto.type (1 float, 2 int, 3 string, 4 tensor, 6 floats, 7 ints, 8 strings). */
  readonly type: number;
  readonly f?: number;
  readonly i?: number;
  readonly s?: string;
  readonly floats: readonly number[];
  readonly ints: readonly number[];
  readonly strings: readonly string[];
  readonly t?: OnnxTensor;
}

export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  /** '' for the default (ai.onnx) domain. */
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: readonly OnnxAttribute[];
}

export interface OnnxExternalData {
  readonly location: string;
  readonly offset: number;
  /** Absent when the entry does not say (the data runs to the end of the file). */
  readonly length?: number;
}

export interface OnnxTensor {
  readonly name: string;
  readonly dims: readonly number[];
  /** TensorProto.DataType (1 float, 6 int32, 7 int64, 10 float16, …). */
  readonly dataType: number;
  /** The inline raw_data bytes (a view into the model), absent when the tensor has none. */
  readonly rawData?: Uint8Array;
  /** Where the data lives when data_location is EXTERNAL, absent otherwise. */
  readonly external?: OnnxExternalData;
}

export interface OnnxDim {
  readonly value?: number;
  readonly param?: string;
}

export interface OnnxValueInfo {
  readonly name: string;
  /** TensorProto.DataType of the tensor type, 0 when the value info has none. */
  readonly elemType: number;
  /** Absent when the type carries no shape. */
  readonly shape?: readonly OnnxDim[];
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxTensor[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

export interface OnnxModel {
  readonly irVersion: number;
  readonly producerName: string;
  readonly graph: OnnxGraph;
  /** Opset version per domain ('' for ai.onnx). */
  readonly opsets: ReadonlyMap<string, number>;
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

interface Field {
  readonly number: number;
  readonly wireType: number;
  /** The varint or fixed value (wire types 0, 1, 5). */
  readonly value: bigint;
  /** The payload of a length-delimited field (wire type 2), a view into the input. */
  readonly bytes: Uint8Array;
  /** Offset of the field's payload in the message, for error messages. */
  readonly at: number;
}

const EMPTY = new Uint8Array(0);

/** Splits one protobuf message into its fields, in order. */
function fields(message: Uint8Array, what: string): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= message.length) throw new Error(`${what}: truncated varint at byte ${pos}`);
      if (shift > 63n) throw new Error(`${what}: varint longer than 10 bytes at byte ${pos}`);
      const byte = message[pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  const fixed = (size: number): bigint => {
    if (pos + size > message.length) throw new Error(`${what}: truncated fixed field at byte ${pos}`);
    let result = 0n;
    for (let k = size - 1; k >= 0; k--) result = (result << 8n) | BigInt(message[pos + k]!);
    pos += size;
    return result;
  };
  while (pos < message.length) {
    const key = varint();
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (number === 0) throw new Error(`${what}: field number 0 at byte ${pos}`);
    const at = pos;
    if (wireType === WIRE_VARINT) out.push({ number, wireType, value: varint(), bytes: EMPTY, at });
    else if (wireType === WIRE_FIXED64) out.push({ number, wireType, value: fixed(8), bytes: EMPTY, at });
    else if (wireType === WIRE_FIXED32) out.push({ number, wireType, value: fixed(4), bytes: EMPTY, at });
    else if (wireType === WIRE_LENGTH_DELIMITED) {
      const length = Number(varint());
      if (pos + length > message.length) throw new Error(`${what}: field ${number} runs past the end (byte ${pos}, length ${length})`);
      out.push({ number, wireType, value: 0n, bytes: message.subarray(pos, pos + length), at });
      pos += length;
    } else throw new Error(`${what}: unsupported wire type ${wireType} (field ${number}) at byte ${at}`);
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(field: Field, what: string): string {
  if (field.wireType !== WIRE_LENGTH_DELIMITED) throw new Error(`${what}: field ${field.number} is not a string`);
  return utf8.decode(field.bytes);
}

/** A signed 64-bit integer field as a number (exact up to 2^53). */
function int(field: Field, what: string): number {
  if (field.wireType !== WIRE_VARINT) throw new Error(`${what}: field ${field.number} is not a varint`);
  return Number(BigInt.asIntN(64, field.value));
}

/** A repeated int64 field, packed or not: every value it contributes. */
function ints(field: Field, what: string): number[] {
  if (field.wireType === WIRE_VARINT) return [int(field, what)];
  return fields(packedAsVarints(field.bytes), `${what} (packed field ${field.number})`).map((f) => int(f, what));
}

/** Rewrites a packed varint payload as a message of field-1 varints so `fields` can split it. */
function packedAsVarints(payload: Uint8Array): Uint8Array {
  const out: number[] = [];
  let start = true;
  for (const byte of payload) {
    if (start) out.push(1 << 3);
    out.push(byte);
    start = (byte & 0x80) === 0;
  }
  return new Uint8Array(out);
}

function float32(field: Field): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, Number(field.value), true);
  return view.getFloat32(0, true);
}

function floats(field: Field): number[] {
  if (field.wireType === WIRE_FIXED32) return [float32(field)];
  const view = new DataView(field.bytes.buffer, field.bytes.byteOffset, field.bytes.byteLength);
  return Array.from({ length: field.bytes.byteLength >> 2 }, (_, k) => view.getFloat32(k * 4, true));
}

function readTensor(bytes: Uint8Array, what: string): OnnxTensor {
  let name = '';
  const dims: number[] = [];
  let dataType = 0;
  let rawData: Uint8Array | undefined;
  let dataLocation = 0;
  const entries = new Map<string, string>();
  for (const f of fields(bytes, what)) {
    if (f.number === 1) dims.push(...ints(f, what));
    else if (f.number === 2) dataType = int(f, what);
    else if (f.number === 8) name = text(f, what);
    else if (f.number === 9) rawData = f.bytes;
    else if (f.number === 14) dataLocation = int(f, what);
    else if (f.number === 13) {
      let key = '';
      let value = '';
      for (const e of fields(f.bytes, `${what} external_data`)) {
        if (e.number === 1) key = text(e, what);
        else if (e.number === 2) value = text(e, what);
      }
      entries.set(key, value);
    }
  }
  const tensorWhat = `${what} "${name}"`;
  let external: OnnxExternalData | undefined;
  if (dataLocation === 1) {
    const location = entries.get('location');
    if (location === undefined) throw new Error(`${tensorWhat}: external data without a location`);
    const offset = entries.get('offset');
    const length = entries.get('length');
    external = { location, offset: offset === undefined ? 0 : Number(offset), ...(length === undefined ? {} : { length: Number(length) }) };
  }
  return { name, dims, dataType, ...(rawData ? { rawData } : {}), ...(external ? { external } : {}) };
}

function readAttribute(bytes: Uint8Array, what: string): OnnxAttribute {
  let name = '';
  let type = 0;
  let f: number | undefined;
  let i: number | undefined;
  let s: string | undefined;
  let t: OnnxTensor | undefined;
  const floatList: number[] = [];
  const intList: number[] = [];
  const stringList: string[] = [];
  for (const field of fields(bytes, what)) {
    if (field.number === 1) name = text(field, what);
    else if (field.number === 20) type = int(field, what);
    else if (field.number === 2) f = float32(field);
    else if (field.number === 3) i = int(field, what);
    else if (field.number === 4) s = utf8.decode(field.bytes);
    else if (field.number === 5) t = readTensor(field.bytes, `${what} tensor`);
    else if (field.number === 7) floatList.push(...floats(field));
    else if (field.number === 8) intList.push(...ints(field, what));
    else if (field.number === 9) stringList.push(utf8.decode(field.bytes));
  }
  return {
    name,
    type,
    ...(f === undefined ? {} : { f }),
    ...(i === undefined ? {} : { i }),
    ...(s === undefined ? {} : { s }),
    ...(t === undefined ? {} : { t }),
    floats: floatList,
    ints: intList,
    strings: stringList,
  };
}

function readNode(bytes: Uint8Array, what: string): OnnxNode {
  let name = '';
  let opType = '';
  let domain = '';
  const inputs: string[] = [];
  const outputs: string[] = [];
  const attributes: OnnxAttribute[] = [];
  for (const f of fields(bytes, what)) {
    if (f.number === 1) inputs.push(text(f, what));
    else if (f.number === 2) outputs.push(text(f, what));
    else if (f.number === 3) name = text(f, what);
    else if (f.number === 4) opType = text(f, what);
    else if (f.number === 7) domain = text(f, what);
    else if (f.number === 5) attributes.push(readAttribute(f.bytes, `${what} attribute`));
  }
  return { name, opType, domain, inputs, outputs, attributes };
}

function readValueInfo(bytes: Uint8Array, what: string): OnnxValueInfo {
  let name = '';
  let elemType = 0;
  let shape: OnnxDim[] | undefined;
  for (const f of fields(bytes, what)) {
    if (f.number === 1) name = text(f, what);
    else if (f.number === 2) {
      for (const typeField of fields(f.bytes, `${what} type`)) {
        if (typeField.number !== 1) continue; // only tensor_type
        for (const tensorType of fields(typeField.bytes, `${what} tensor_type`)) {
          if (tensorType.number === 1) elemType = int(tensorType, what);
          else if (tensorType.number === 2) {
            shape = fields(tensorType.bytes, `${what} shape`)
              .filter((d) => d.number === 1)
              .map((d) => {
                let dim: OnnxDim = {};
                for (const v of fields(d.bytes, `${what} dim`)) {
                  if (v.number === 1) dim = { value: int(v, what) };
                  else if (v.number === 2) dim = { param: text(v, what) };
                }
                return dim;
              });
          }
        }
      }
    }
  }
  return { name, elemType, ...(shape ? { shape } : {}) };
}

function readGraph(bytes: Uint8Array): OnnxGraph {
  const what = 'GraphProto';
  let name = '';
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const inputs: OnnxValueInfo[] = [];
  const outputs: OnnxValueInfo[] = [];
  for (const f of fields(bytes, what)) {
    if (f.number === 1) nodes.push(readNode(f.bytes, `node ${nodes.length}`));
    else if (f.number === 2) name = text(f, what);
    else if (f.number === 5) initializers.push(readTensor(f.bytes, `initializer ${initializers.length}`));
    else if (f.number === 11) inputs.push(readValueInfo(f.bytes, `input ${inputs.length}`));
    else if (f.number === 12) outputs.push(readValueInfo(f.bytes, `output ${outputs.length}`));
  }
  return { name, nodes, initializers, inputs, outputs };
}

/** Decodes ONNX ModelProto bytes; throws on malformed protobuf or a model without a graph. */
export function readOnnxModel(bytes: Uint8Array): OnnxModel {
  const what = 'ModelProto';
  let irVersion = 0;
  let producerName = '';
  let graph: OnnxGraph | undefined;
  const opsets = new Map<string, number>();
  for (const f of fields(bytes, what)) {
    if (f.number === 1) irVersion = int(f, what);
    else if (f.number === 2) producerName = text(f, what);
    else if (f.number === 7) graph = readGraph(f.bytes);
    else if (f.number === 8) {
      let domain = '';
      let version = 0;
      for (const o of fields(f.bytes, 'opset_import')) {
        if (o.number === 1) domain = text(o, 'opset_import');
        else if (o.number === 2) version = int(o, 'opset_import');
      }
      opsets.set(domain, version);
    }
  }
  if (!graph) throw new Error(`${what}: no graph (field 7)`);
  return { irVersion, producerName, graph, opsets };
}

/** The op types of a model's nodes, in graph order, with a domain prefix for non-default domains ("com.microsoft.MultiHeadAttention"). */
export function opTypes(bytes: Uint8Array): string[] {
  return readOnnxModel(bytes).graph.nodes.map((n) => (n.domain === '' ? n.opType : `${n.domain}.${n.opType}`));
}

/** Whether any node of the model has this op type (in any domain). */
export function hasOp(bytes: Uint8Array, opType: string): boolean {
  return readOnnxModel(bytes).graph.nodes.some((n) => n.opType === opType);
}
