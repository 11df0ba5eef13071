/**
 * Editing graphs as data: a use-def index, dead-code elimination, and turning initializers into
 * inputs (how trainable weights enter a training-step graph).
 */
import { AaclipError } from '../errors/aaclipError.js';
import type { Graph, Node, ValueInfo } from './ir.js';

export interface UseDefIndex {
  /** The index of the node that defines each node output. */
  readonly producer: ReadonlyMap<string, number>;
  /** The indices of the nodes that read each value (in node order). */
  readonly consumers: ReadonlyMap<string, readonly number[]>;
}

export function useDefIndex(graph: Graph): UseDefIndex {
  const producer = new Map<string, number>();
  const consumers = new Map<string, number[]>();
  graph.nodes.forEach((node, i) => {
    for (const input of node.inputs) {
      if (input === '') continue;
      let list = consumers.get(input);
      if (!list) consumers.set(input, (list = []));
      if (list[list.length - 1] !== i) list.push(i);
    }
    for (const output of node.outputs) producer.set(output, i);
  });
  return { producer, consumers };
}

/**
 * Removes the nodes and initializers no graph output depends on. Graph inputs are kept (they are
 * the model's interface) unless `dropUnusedInputs` is set.
 */
export function eliminateDeadCode(graph: Graph, options: { dropUnusedInputs?: boolean } = {}): Graph {
  const live = new Set(graph.outputs.map((o) => o.name));
  const keep = new Array<boolean>(graph.nodes.length).fill(false);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (!node.outputs.some((o) => live.has(o))) continue;
    keep[i] = true;
    for (const input of node.inputs) if (input !== '') live.add(input);
  }
  return {
    ...graph,
    inputs: options.dropUnusedInputs ? graph.inputs.filter((v) => live.has(v.name)) : graph.inputs,
    nodes: graph.nodes.filter((_, i) => keep[i]),
    initializers: new Map([...graph.initializers].filter(([name]) => live.has(name))),
  };
}

/**
 * Turns the named initializers into graph inputs of the same name, dtype and shape (the values
 * are then fed at run time, e.g. the trainable weights of a training step). Fails naming the
 * first name that is not an initializer.
 */
export function initializersToInputs(graph: Graph, names: readonly string[]): Graph {
  const initializers = new Map(graph.initializers);
  const inputs: ValueInfo[] = [...graph.inputs];
  for (const name of names) {
    const tensor = initializers.get(name);
    if (!tensor) throw new AaclipError(`"${name}" is not a weight of this graph`, `graph ${graph.name}`);
    initializers.delete(name);
    inputs.push({ name, dtype: tensor.dtype, shape: [...tensor.shape] });
  }
  return { ...graph, inputs, initializers };
}

/** A node's readable name for error messages. */
export const describeNode = (node: Node): string => `node "${node.name}" (${node.op})`;
