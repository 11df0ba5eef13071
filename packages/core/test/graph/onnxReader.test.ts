// The test-support ONNX reader against models the project's serializer writes (every node,
// initializer and graph input/output read back as the IR graph says), and against hand-written
// protobuf for the encodings the serializer does not produce (packed dims, negative ints,
// unknown fields) and for malformed bytes.
import { describe, expect, it } from 'vitest';
import { GraphBuilder, buildVisionModel, fuseAttention, serializeModel, type Attr, type Graph } from '@aaclip/core';
import { hasOp, opTypes, readOnnxModel, type OnnxAttribute, type OnnxModel } from '../../../../test-support/onnxReader.js';
import { loadFixture } from '../../../../test-support/fixtureLoader.js';

/** y = softmax(LayerNorm(x) @ W + b, axis 1), transposed: every attribute kind the small builders write. */
function smallGraph(): { graph: Graph; w: Float32Array } {
  const w = new Float32Array([1, 2, 3, -1, 0.5, 4]);
  const g = new GraphBuilder('small');
  const x = g.input('x', 'F32', ['batch', 2]);
  const lnW = g.initializer({ dtype: 'F32', shape: [2], data: new Float32Array([1, 1]) }, 'ln.w');
  const lnB = g.initializer({ dtype: 'F32', shape: [2], data: new Float32Array([0, 0]) }, 'ln.b');
  const wName = g.initializer({ dtype: 'F32', shape: [2, 3], data: w }, 'W');
  const ids = g.initializer({ dtype: 'I64', shape: [2], data: new BigInt64Array([0n, -1n]) }, 'ids');
  const y = g.softmax(g.add(g.matmul(g.layerNorm(x, lnW, lnB, 1e-5), wName), g.scalar(0.5)), 1);
  g.output(g.transpose(y, [1, 0]), 'y', 'F32', [3, 'batch']);
  g.output(g.gather(wName, ids, 0), 'rows', 'F32', [2, 3]);
  return { graph: g.build(), w };
}

const DATA_TYPE: Record<string, number> = { F32: 1, I64: 7, F16: 10, I32: 6, U8: 2, BOOL: 9 };

function attributeValue(a: OnnxAttribute): unknown {
  if (a.type === 1) return a.f;
  if (a.type === 2) return a.i;
  if (a.type === 3) return a.s;
  if (a.type === 6) return a.floats;
  if (a.type === 7) return a.ints;
  if (a.type === 8) return a.strings;
  return a.t?.dims;
}

const irAttributeValue = (a: Attr): unknown => (a.kind === 'float' ? Math.fround(a.value) : a.kind === 'tensor' ? a.value.shape : a.value);

/** The read-back model says what the IR graph says, node for node. */
function expectSameGraph(read: OnnxModel, graph: Graph): void {
  expect(read.graph.name).toBe(graph.name);
  expect(read.graph.nodes.map((n) => ({ name: n.name, op: n.opType, domain: n.domain, inputs: n.inputs, outputs: n.outputs }))).toEqual(
    graph.nodes.map((n) => ({ name: n.name, op: n.op, domain: n.domain ?? '', inputs: n.inputs, outputs: n.outputs })),
  );
  read.graph.nodes.forEach((n, k) => {
    const ir = graph.nodes[k]!.attributes;
    expect(Object.fromEntries(n.attributes.map((a) => [a.name, attributeValue(a)]))).toEqual(
      Object.fromEntries(Object.entries(ir).map(([name, a]) => [name, irAttributeValue(a)])),
    );
  });
  expect(read.graph.initializers.map((t) => [t.name, t.dims, t.dataType])).toEqual(
    [...graph.initializers].map(([name, t]) => [name, t.shape, DATA_TYPE[t.dtype]]),
  );
  const dims = (shape: readonly (number | string)[]) => shape.map((d) => (typeof d === 'number' ? { value: d } : { param: d }));
  for (const [readInfos, irInfos] of [[read.graph.inputs, graph.inputs], [read.graph.outputs, graph.outputs]] as const) {
    expect(readInfos.map((v) => ({ name: v.name, elemType: v.elemType, shape: v.shape }))).toEqual(
      irInfos.map((v) => ({ name: v.name, elemType: DATA_TYPE[v.dtype], shape: dims(v.shape) })),
    );
  }
}

describe('test-support ONNX reader', () => {
  it('reads back every node, attribute, initializer and graph input/output of a serialised model', () => {
    const { graph, w } = smallGraph();
    const model = readOnnxModel(serializeModel(graph, { producerName: 'reader-test' }).model);
    expect(model.producerName).toBe('reader-test');
    expect(model.irVersion).toBeGreaterThanOrEqual(8);
    expect([...model.opsets]).toEqual([['', 17]]);
    expectSameGraph(model, graph);
    const inlineW = model.graph.initializers.find((t) => t.name === 'W')!;
    expect(inlineW.external).toBeUndefined();
    expect(new Float32Array(inlineW.rawData!.slice().buffer)).toEqual(w);
    expect(opTypes(serializeModel(graph).model)).toEqual(graph.nodes.map((n) => n.op));
  });

  it('reads external data locations, offsets and lengths, packed and per tensor', () => {
    const { graph } = smallGraph();
    const packed = readOnnxModel(serializeModel(graph, { externalDataThreshold: 16, externalDataPath: 'w.bin' }).model);
    expectSameGraph(packed, graph);
    const placed = packed.graph.initializers.filter((t) => t.external);
    // W (24 bytes) and ids (16) reach the 16-byte threshold; the 8-byte LayerNorm tensors and the scalar stay inline.
    expect(placed.map((t) => [t.name, t.external, t.rawData])).toEqual([
      ['W', { location: 'w.bin', offset: 0, length: 24 }, undefined],
      ['ids', { location: 'w.bin', offset: 4096, length: 16 }, undefined],
    ]);
    const perTensor = readOnnxModel(serializeModel(graph, { externalDataThreshold: 16, externalDataPath: 'w.bin', externalDataLayout: 'per-tensor' }).model);
    expect(perTensor.graph.initializers.filter((t) => t.external).map((t) => t.external)).toEqual([
      { location: 'w.bin.0', offset: 0, length: 24 },
      { location: 'w.bin.1', offset: 0, length: 16 },
    ]);
  });

  it('reads the fixture vision model after the fuse-attention pass: com.microsoft nodes and opset', () => {
    const fixture = loadFixture();
    const bytes = buildVisionModel(fixture.config, fixture.clip, fixture.adapters, fixture.settings, { passes: [fuseAttention] }).model;
    const model = readOnnxModel(bytes);
    expect(model.opsets.get('com.microsoft')).toBe(1);
    const fused = model.graph.nodes.filter((n) => n.opType === 'MultiHeadAttention');
    expect(fused.length).toBe(fixture.settings.levels[fixture.settings.levels.length - 1]);
    expect(fused.every((n) => n.domain === 'com.microsoft')).toBe(true);
    expect(hasOp(bytes, 'MultiHeadAttention')).toBe(true);
    expect(model.graph.inputs.map((v) => v.name)).toEqual(['pixel_values']);
    const plain = buildVisionModel(fixture.config, fixture.clip, fixture.adapters, fixture.settings).model;
    expect(hasOp(plain, 'MultiHeadAttention')).toBe(false);
    expect([...readOnnxModel(plain).opsets.keys()]).toEqual(['']);
  });

  it('reads packed repeated ints, negative varints, and skips unknown fields', () => {
    const tensor = [0x0a, 0x02, 0x02, 0x03, 0x10, 0x07, 0x42, 0x01, 0x74, 0xf8, 0x01, 0x2a]; // dims packed [2, 3], int64, name "t", unknown field 31
    const attr = [0x0a, 0x01, 0x61, 0x18, ...Array(9).fill(0xff), 0x01, 0xa0, 0x01, 0x02]; // name "a", i = -1, type INT
    const node = [0x22, 0x03, 0x41, 0x64, 0x64, 0x2a, attr.length, ...attr]; // op_type "Add"
    const graph = [0x0a, node.length, ...node, 0x2a, tensor.length, ...tensor, 0x1d, 1, 2, 3, 4]; // + unknown fixed32 field 3
    const model = readOnnxModel(new Uint8Array([0x08, 0x09, 0x3a, graph.length, ...graph, 0x19, 0, 0, 0, 0, 0, 0, 0, 0]));
    expect(model.irVersion).toBe(9);
    expect(model.graph.nodes[0]!.opType).toBe('Add');
    expect(model.graph.nodes[0]!.attributes[0]).toMatchObject({ name: 'a', type: 2, i: -1 });
    expect(model.graph.initializers).toEqual([{ name: 't', dims: [2, 3], dataType: 7 }]);
  });

  it('throws on truncated or malformed bytes and on a model without a graph', () => {
    const bytes = serializeModel(smallGraph().graph).model;
    expect(() => readOnnxModel(bytes.subarray(0, bytes.length - 3))).toThrow(/runs past the end|truncated/);
    expect(() => readOnnxModel(new Uint8Array([0x08, 0x09]))).toThrow(/no graph/);
    expect(() => readOnnxModel(new Uint8Array([0x0b]))).toThrow(/wire type 3/);
    expect(() => readOnnxModel(new Uint8Array([0x08, 0x80]))).toThrow(/truncated varint/);
  });
});
