/**
 * Shape inference over the op table: the dtype and shape of every value of a graph, with int64
 * shape computations folded (Shape → Concat → Expand) so that every shape is known where the
 * inputs' shapes are.
 */
import { AaclipError } from '../errors/aaclipError.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Graph, ValueInfo } from './ir.js';
import { getOp } from './ops/index.js';
import type { ShapeContext, TypeInfo } from './ops/index.js';

export interface InferredTypes {
  /** Every value's type, by name. */
  readonly types: ReadonlyMap<string, TypeInfo>;
  /** Values known at build time: the initializers and the folded shape computations. */
  readonly values: ReadonlyMap<string, Tensor>;
}

/** The graph with concrete input shapes substituted (e.g. the batch size fixed for training). */
export function withInputShapes(graph: Graph, shapes: Readonly<Record<string, readonly number[]>>): Graph {
  const inputs: ValueInfo[] = graph.inputs.map((v) => (shapes[v.name] ? { ...v, shape: [...shapes[v.name]!] } : v));
  return { ...graph, inputs };
}

export function inferShapes(graph: Graph): InferredTypes {
  const types = new Map<string, TypeInfo>();
  const values = new Map<string, Tensor>();
  for (const input of graph.inputs) types.set(input.name, { dtype: input.dtype, shape: input.shape });
  for (const [name, tensor] of graph.initializers) {
    types.set(name, { dtype: tensor.dtype, shape: tensor.shape });
    values.set(name, tensor);
  }
  const source = `graph ${graph.name}`;
  for (const node of graph.nodes) {
    const def = getOp(node, source);
    const ctx: ShapeContext = {
      node,
      inputs: node.inputs.map((name) => {
        if (name === '') return undefined;
        const t = types.get(name);
        if (!t) throw new AaclipError(`node "${node.name}" (${node.op}) reads "${name}" before it is defined`, source);
        return t;
      }),
      value: (i) => {
        const name = node.inputs[i];
        return name ? values.get(name) : undefined;
      },
    };
    let outputs: TypeInfo[];
    try {
      outputs = def.inferTypes(ctx);
    } catch (err) {
      if (err instanceof AaclipError) throw new AaclipError(err.message, source);
      throw err;
    }
    if (outputs.length < node.outputs.length) {
      throw new AaclipError(`node "${node.name}" (${node.op}) has ${node.outputs.length} outputs, its shape rule gives ${outputs.length}`, source);
    }
    node.outputs.forEach((name, i) => types.set(name, outputs[i]!));
    const folded = def.evaluate?.(ctx);
    if (folded) node.outputs.forEach((name, i) => folded[i] && values.set(name, folded[i]));
  }
  return { types, values };
}
