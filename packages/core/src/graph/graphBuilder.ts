/**
 * Builds a Graph with typed helpers for the ops the towers use. Helpers return the name of the
 * value they produce; every value and node gets a unique name. Semantics are those of the ONNX
 * operators at opset 17 (e.g. ReduceSum and Unsqueeze take axes as an input, ReduceMean as an
 * attribute).
 */
import { AaclipError } from '../errors/aaclipError.js';
import type { DType, Tensor } from '../tensor/tensor.js';
import { numel, shapeToString } from '../tensor/tensor.js';
import type { Attr, Dim, Graph, Node, ValueInfo } from './ir.js';
import { DEFAULT_OPSETS, attrFloat, attrInt, attrInts } from './ir.js';
import { ONNX_DATA_TYPE } from './onnx/onnxDataType.js';

export interface NodeOptions {
  /** Name hint for the output value(s). */
  name?: string;
  domain?: string;
  /** Number of outputs (default 1). */
  outputs?: number;
}

export class GraphBuilder {
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly nodes: Node[] = [];
  private readonly initializers = new Map<string, Tensor>();
  private readonly used = new Set<string>();
  private readonly counters = new Map<string, number>();
  private readonly constantCache = new Map<string, string>();

  constructor(readonly name = 'graph') {}

  /**
   * A builder that starts from an existing graph (its inputs, outputs, nodes and initializers;
   * every name stays taken), to append to it — e.g. a backward pass.
   */
  static from(graph: Graph): GraphBuilder {
    const b = new GraphBuilder(graph.name);
    b.opsets = { ...(graph.opsets ?? DEFAULT_OPSETS) };
    const take = (name: string): void => void b.used.add(name);
    for (const v of graph.inputs) {
      take(v.name);
      b.inputs.push({ ...v, shape: [...v.shape] });
    }
    for (const [name, tensor] of graph.initializers) {
      take(name);
      b.initializers.set(name, tensor);
    }
    for (const node of graph.nodes) {
      take(node.name);
      node.outputs.forEach(take);
      b.nodes.push(node);
    }
    for (const v of graph.outputs) b.outputs.push({ ...v, shape: [...v.shape] });
    return b;
  }

  /**
   * A builder for rewriting `graph`: its inputs, outputs, initializers and opsets, every name of
   * the graph taken, but no nodes — a rewrite pass appends the nodes it keeps (`appendNode`) and
   * emits replacements in their place.
   */
  static rewriting(graph: Graph): GraphBuilder {
    const b = GraphBuilder.from({ ...graph, nodes: [] });
    for (const node of graph.nodes) {
      b.used.add(node.name);
      for (const output of node.outputs) b.used.add(output);
    }
    return b;
  }

  private opsets: Record<string, number> = { ...DEFAULT_OPSETS };

  /** Removes every graph output (a pass that rewrites the interface declares new ones). */
  clearOutputs(): void {
    this.outputs.length = 0;
  }

  /** Appends a node as it is; its name and outputs must come from `uniqueName`. */
  appendNode(node: Node): void {
    this.nodes.push(node);
  }

  /** A unique name starting with `hint` (the hint itself when it is still free). */
  uniqueName(hint: string): string {
    let name = hint;
    if (this.used.has(name)) {
      let n = this.counters.get(hint) ?? 0;
      do name = `${hint}_${++n}`;
      while (this.used.has(name));
      this.counters.set(hint, n);
    }
    this.used.add(name);
    return name;
  }

  input(name: string, dtype: DType, shape: readonly Dim[]): string {
    if (this.used.has(name)) throw new AaclipError(`name "${name}" is already used`, `graph ${this.name} input`);
    this.used.add(name);
    this.inputs.push({ name, dtype, shape: [...shape] });
    return name;
  }

  /** Declares `value` a graph output called `name` (through an Identity node when the names differ). */
  output(value: string, name: string, dtype: DType, shape: readonly Dim[]): void {
    if (value !== name) {
      if (this.used.has(name)) throw new AaclipError(`name "${name}" is already used`, `graph ${this.name} output`);
      this.used.add(name);
      this.nodes.push({ op: 'Identity', inputs: [value], outputs: [name], attributes: {}, name: this.uniqueName(`Identity_${name}`) });
    }
    this.outputs.push({ name, dtype, shape: [...shape] });
  }

  /** Registers a tensor as an initializer; the exact `name` is kept when it is free. */
  initializer(tensor: Tensor, name: string): string {
    if (tensor.data.length !== numel(tensor.shape)) {
      throw new AaclipError(`has ${tensor.data.length} elements, shape ${shapeToString(tensor.shape)} needs ${numel(tensor.shape)}`, name);
    }
    const unique = this.uniqueName(name);
    this.initializers.set(unique, tensor);
    return unique;
  }

  /** A constant tensor (an initializer); identical small constants are shared. */
  constant(tensor: Tensor, name = 'const'): string {
    if (tensor.data.length > 64) return this.initializer(tensor, name);
    const key = `${tensor.dtype}|${tensor.shape.join(',')}|${Array.from(tensor.data as ArrayLike<number | bigint>, String).join(',')}`;
    const cached = this.constantCache.get(key);
    if (cached) return cached;
    const value = this.initializer(tensor, name);
    this.constantCache.set(key, value);
    return value;
  }

  /** A float32 scalar constant. */
  scalar(value: number): string {
    return this.constant({ dtype: 'F32', shape: [], data: new Float32Array([value]) }, 'scalar');
  }

  /** An int64 scalar constant (e.g. a Gather index that drops the axis). */
  int64Scalar(value: number): string {
    return this.constant({ dtype: 'I64', shape: [], data: new BigInt64Array([BigInt(value)]) }, 'index');
  }

  /** A 1-D int64 constant (shapes, axes, indices). */
  int64s(values: readonly number[]): string {
    return this.constant({ dtype: 'I64', shape: [values.length], data: BigInt64Array.from(values, (v) => BigInt(v)) }, 'ints');
  }

  /** Adds a node and returns its output names. */
  nodeMulti(op: string, inputs: readonly string[], attributes: Record<string, Attr> = {}, options: NodeOptions = {}): string[] {
    const count = options.outputs ?? 1;
    const hint = options.name ?? op;
    const outputs = Array.from({ length: count }, (_, i) => this.uniqueName(count === 1 ? hint : `${hint}_out${i}`));
    const node: Node = {
      op,
      inputs: [...inputs],
      outputs,
      attributes: { ...attributes },
      name: this.uniqueName(`${op}_node`),
      ...(options.domain ? { domain: options.domain } : {}),
    };
    this.nodes.push(node);
    return outputs;
  }

  /** Adds a single-output node and returns its output name. */
  node(op: string, inputs: readonly string[], attributes: Record<string, Attr> = {}, options: NodeOptions = {}): string {
    return this.nodeMulti(op, inputs, attributes, { ...options, outputs: 1 })[0]!;
  }

  // Elementwise (numpy broadcasting).
  add(a: string, b: string, name?: string): string {
    return this.node('Add', [a, b], {}, { name });
  }
  sub(a: string, b: string, name?: string): string {
    return this.node('Sub', [a, b], {}, { name });
  }
  mul(a: string, b: string, name?: string): string {
    return this.node('Mul', [a, b], {}, { name });
  }
  div(a: string, b: string, name?: string): string {
    return this.node('Div', [a, b], {}, { name });
  }
  pow(a: string, b: string, name?: string): string {
    return this.node('Pow', [a, b], {}, { name });
  }
  sqrt(x: string, name?: string): string {
    return this.node('Sqrt', [x], {}, { name });
  }
  erf(x: string, name?: string): string {
    return this.node('Erf', [x], {}, { name });
  }
  sigmoid(x: string, name?: string): string {
    return this.node('Sigmoid', [x], {}, { name });
  }
  leakyRelu(x: string, slope: number, name?: string): string {
    return this.node('LeakyRelu', [x], { alpha: attrFloat(slope) }, { name });
  }
  equal(a: string, b: string, name?: string): string {
    return this.node('Equal', [a, b], {}, { name });
  }
  cast(x: string, to: DType, name?: string): string {
    return this.node('Cast', [x], { to: attrInt(ONNX_DATA_TYPE[to]) }, { name });
  }
  identity(x: string, name?: string): string {
    return this.node('Identity', [x], {}, { name });
  }

  /** Batched matrix product (numpy matmul semantics). */
  matmul(a: string, b: string, name?: string): string {
    return this.node('MatMul', [a, b], {}, { name });
  }

  softmax(x: string, axis = -1, name?: string): string {
    return this.node('Softmax', [x], { axis: attrInt(axis) }, { name });
  }
  transpose(x: string, perm: readonly number[], name?: string): string {
    return this.node('Transpose', [x], { perm: attrInts(perm) }, { name });
  }
  /** Reshape; 0 copies the input's dimension, -1 is inferred (ONNX semantics). */
  reshape(x: string, shape: readonly number[], name?: string): string {
    return this.node('Reshape', [x, this.int64s(shape)], {}, { name });
  }
  concat(xs: readonly string[], axis: number, name?: string): string {
    return this.node('Concat', xs, { axis: attrInt(axis) }, { name });
  }
  slice(x: string, starts: readonly number[], ends: readonly number[], axes: readonly number[], name?: string): string {
    return this.node('Slice', [x, this.int64s(starts), this.int64s(ends), this.int64s(axes)], {}, { name });
  }
  gather(data: string, indices: string, axis: number, name?: string): string {
    return this.node('Gather', [data, indices], { axis: attrInt(axis) }, { name });
  }
  unsqueeze(x: string, axes: readonly number[], name?: string): string {
    return this.node('Unsqueeze', [x, this.int64s(axes)], {}, { name });
  }
  /** Shape of `x`, dimensions [start, end). */
  shape(x: string, start?: number, end?: number, name?: string): string {
    const attributes: Record<string, Attr> = {};
    if (start !== undefined) attributes.start = attrInt(start);
    if (end !== undefined) attributes.end = attrInt(end);
    return this.node('Shape', [x], attributes, { name });
  }
  expand(x: string, shape: string, name?: string): string {
    return this.node('Expand', [x, shape], {}, { name });
  }
  argMax(x: string, axis: number, keepdims: boolean, name?: string): string {
    return this.node('ArgMax', [x], { axis: attrInt(axis), keepdims: attrInt(keepdims ? 1 : 0) }, { name });
  }
  reduceSum(x: string, axes: readonly number[], keepdims: boolean, name?: string): string {
    return this.node('ReduceSum', [x, this.int64s(axes)], { keepdims: attrInt(keepdims ? 1 : 0) }, { name });
  }
  reduceMean(x: string, axes: readonly number[], keepdims: boolean, name?: string): string {
    return this.node('ReduceMean', [x], { axes: attrInts(axes), keepdims: attrInt(keepdims ? 1 : 0) }, { name });
  }

  /** LayerNormalization over the last axis: (x − mean) / sqrt(var + eps) · weight + bias. */
  layerNorm(x: string, weight: string, bias: string, eps: number, name?: string): string {
    return this.node('LayerNormalization', [x, weight, bias], { axis: attrInt(-1), epsilon: attrFloat(eps) }, { name });
  }

  /**
   * A PyTorch Linear on the rows of a 2-D `x` [rows, in]: `x @ Wᵀ (+ bias)` as one
   * Gemm(transB = 1). W [out, in] stays in PyTorch layout (no transposed copy, and a weight given
   * as a value name is read as it is, so a training pass finds it under its own name); the bias
   * is fused into the product.
   */
  linearRows(x: string, weight: Tensor | string, bias?: Tensor | string, name = 'linear'): string {
    const w = typeof weight === 'string' ? weight : this.initializer(weight, `${name}.weight`);
    const inputs = [x, w];
    if (bias !== undefined) inputs.push(typeof bias === 'string' ? bias : this.initializer(bias, `${name}.bias`));
    return this.node('Gemm', inputs, { transB: attrInt(1) }, { name: `${name}.out` });
  }

  /** Exact GELU `0.5·x·(1 + erf(x/√2))`, or QuickGELU `x·sigmoid(1.702·x)`. */
  gelu(x: string, quick: boolean, name = 'gelu'): string {
    if (quick) return this.mul(x, this.sigmoid(this.mul(x, this.scalar(1.702))), name);
    // Written as x·(1 + erf(x / √2))·0.5, the form onnxruntime's optimiser fuses into one Gelu node.
    const e = this.erf(this.div(x, this.scalar(Math.SQRT2)));
    return this.mul(this.mul(x, this.add(e, this.scalar(1))), this.scalar(0.5), name);
  }

  /** Euclidean norm over `axis`, keeping the axis: sqrt(Σ x²). */
  l2Norm(x: string, axis: number, name?: string): string {
    return this.sqrt(this.reduceSum(this.mul(x, x), [axis], true), name);
  }

  /** x / ‖x‖ over `axis`. */
  l2Normalize(x: string, axis: number, name?: string): string {
    return this.div(x, this.l2Norm(x, axis), name);
  }

  build(): Graph {
    return {
      name: this.name,
      inputs: [...this.inputs],
      outputs: [...this.outputs],
      nodes: [...this.nodes],
      initializers: new Map(this.initializers),
      opsets: { ...this.opsets, ...(this.nodes.some((n) => n.domain === 'com.microsoft') ? { 'com.microsoft': 1 } : {}) },
    };
  }
}
