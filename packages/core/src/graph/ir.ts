/**
 * A small SSA graph IR that maps one-to-one onto ONNX: every value is named once (by a graph
 * input, an initializer or exactly one node output), nodes are plain data in topological order,
 * and each node's semantics are those of its ONNX operator at the model's opset. Passes over the
 * graph (autodiff, fused-op rewrites) read and produce these plain objects.
 */
import { AaclipError } from '../errors/aaclipError.js';
import type { DType, Tensor } from '../tensor/tensor.js';

/** A dimension: a fixed size or a symbolic name (e.g. "batch"). */
export type Dim = number | string;

export interface ValueInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

/** A node attribute, tagged with its ONNX attribute type. */
export type Attr =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'strings'; readonly value: readonly string[] }
  | { readonly kind: 'tensor'; readonly value: Tensor };

export interface Node {
  readonly op: string;
  /** Operator set domain; absent or "" is the default ONNX domain. */
  readonly domain?: string;
  /** Value names; "" marks an omitted optional input, as in ONNX. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, Attr>>;
  readonly name: string;
}

export interface Graph {
  readonly name: string;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly nodes: readonly Node[];
  readonly initializers: ReadonlyMap<string, Tensor>;
  /**
   * Operator sets the graph's semantics are those of, by domain ("" is the default ONNX domain);
   * absent → default-domain opset 17 and com.microsoft 1 where used.
   */
  readonly opsets?: Readonly<Record<string, number>>;
}

/** The opset versions the builders and the op table follow. */
export const DEFAULT_OPSETS: Readonly<Record<string, number>> = { '': 17 };

export const attrInt = (value: number): Attr => ({ kind: 'int', value });
export const attrFloat = (value: number): Attr => ({ kind: 'float', value });
export const attrString = (value: string): Attr => ({ kind: 'string', value });
export const attrInts = (value: readonly number[]): Attr => ({ kind: 'ints', value: [...value] });
export const attrFloats = (value: readonly number[]): Attr => ({ kind: 'floats', value: [...value] });

/**
 * Checks the SSA invariants: every value is defined once, every node input is defined before the
 * node (so the node list is topologically sorted) and every graph output is defined.
 * Throws an AaclipError naming the graph and the offending value.
 */
export function validateGraph(graph: Graph): void {
  const source = `graph ${graph.name}`;
  const defined = new Set<string>();
  const define = (name: string, by: string): void => {
    if (name === '') throw new AaclipError(`${by} defines a value with an empty name`, source);
    if (defined.has(name)) throw new AaclipError(`value "${name}" is defined more than once (again by ${by})`, source);
    defined.add(name);
  };
  for (const input of graph.inputs) define(input.name, 'a graph input');
  for (const name of graph.initializers.keys()) define(name, 'an initializer');
  for (const node of graph.nodes) {
    for (const input of node.inputs) {
      if (input !== '' && !defined.has(input)) {
        throw new AaclipError(`node "${node.name}" (${node.op}) reads "${input}" before it is defined`, source);
      }
    }
    for (const output of node.outputs) define(output, `node "${node.name}" (${node.op})`);
  }
  for (const output of graph.outputs) {
    if (!defined.has(output.name)) throw new AaclipError(`graph output "${output.name}" is never defined`, source);
  }
}
