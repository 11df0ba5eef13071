/**
 * Reverse-mode automatic differentiation over the graph IR: from a forward graph with a scalar
 * loss, emits a training-step graph whose inputs are the forward inputs plus the trainable
 * weights and whose outputs are the loss and one gradient per weight. Every other weight stays an
 * initializer (for large ones: external data that views the weights, never copied).
 *
 * Memory: a gradient rule reads only the forward values it needs, so the runtime frees the others
 * once the forward pass is done with them. With `checkpoints` (e.g. every transformer block's
 * output), the values inside each segment between two checkpoints are not kept at all: the
 * segment is recomputed from its checkpoint just before its backward pass (gradient
 * checkpointing), which bounds the live activations by one segment plus the checkpoints.
 */
import { AaclipError } from '../../errors/aaclipError.js';
import { GraphBuilder } from '../graphBuilder.js';
import type { Graph, Node } from '../ir.js';
import { attrInt } from '../ir.js';
import { eliminateDeadCode, initializersToInputs, useDefIndex } from '../graphEditing.js';
import type { GradientContext, TypeInfo } from '../ops/index.js';
import { getOp } from '../ops/index.js';
import { inferShapes } from '../shapeInference.js';

export interface GradientOptions {
  /** The scalar F32 value to differentiate (shape [] or [1]). */
  readonly loss: string;
  /** Initializers to differentiate with respect to; they become graph inputs of the same name. */
  readonly wrt: readonly string[];
  /**
   * Values that bound recomputed segments (gradient checkpointing): the forward values between
   * two checkpoints are recomputed for the backward pass instead of kept. Empty → keep them.
   */
  readonly checkpoints?: readonly string[];
  /** Other forward values to output too (e.g. the parts of the loss). */
  readonly keepOutputs?: readonly string[];
  /** Output name of a weight's gradient; default "<weight>.grad". */
  readonly gradientName?: (weight: string) => string;
  /**
   * The state-dict shape of each trainable weight. A weight whose initializer has another shape
   * was reshaped or interpolated when the graph was built (conv1 as a matrix, an interpolated
   * position grid): its gradient would not be the state dict's, so it is refused.
   */
  readonly stateDictShapes?: ReadonlyMap<string, readonly number[]>;
}

export interface TrainingStepGraph {
  readonly graph: Graph;
  readonly lossOutput: string;
  /** Gradient output name per trainable weight, in `wrt` order. */
  readonly gradientOutputs: ReadonlyMap<string, string>;
}

export const defaultGradientName = (weight: string): string => `${weight}.grad`;

export function gradients(forward: Graph, options: GradientOptions): TrainingStepGraph {
  const source = `graph ${forward.name}`;
  const { loss, wrt } = options;
  for (const w of wrt) {
    const t = forward.initializers.get(w);
    if (!t) throw new AaclipError(`trainable weight "${w}" is not an initializer of the graph`, source);
    if (t.dtype !== 'F32') throw new AaclipError(`trainable weight "${w}" is ${t.dtype}, only F32 weights can be trained`, source);
    const expected = options.stateDictShapes?.get(w);
    if (options.stateDictShapes && (!expected || expected.join(',') !== t.shape.join(','))) {
      throw new AaclipError(
        `trainable weight "${w}" is [${t.shape.join(', ')}] in the graph but ${expected ? `[${expected.join(', ')}]` : 'absent'} in the state dict: it was reshaped or interpolated when the graph was built and cannot be trained`,
        source,
      );
    }
  }
  const graph = initializersToInputs(forward, wrt);
  const { types, values } = inferShapes(graph);
  const lossType = types.get(loss);
  if (!lossType) throw new AaclipError(`loss "${loss}" is not a value of the graph`, source);
  if (lossType.dtype !== 'F32' || !(lossType.shape.length === 0 || (lossType.shape.length === 1 && lossType.shape[0] === 1))) {
    throw new AaclipError(`loss "${loss}" must be a scalar F32, got ${lossType.dtype} [${lossType.shape.join(', ')}]`, source);
  }

  // Values that depend on a trainable weight through differentiable ops…
  const varies = new Set<string>(wrt);
  for (const node of graph.nodes) {
    const def = getOp(node, source);
    if (def.gradient === 'none') continue;
    if (node.inputs.some((i) => varies.has(i))) node.outputs.forEach((o) => varies.add(o));
  }
  // …and values the loss depends on.
  const reaches = new Set<string>([loss]);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (node.outputs.some((o) => reaches.has(o))) node.inputs.forEach((x) => x !== '' && reaches.add(x));
  }
  const onPath = (name: string): boolean => varies.has(name) && reaches.has(name);

  const b = GraphBuilder.from(graph);
  b.clearOutputs();
  const contributions = new Map<string, string[]>();
  const contribute = (name: string, grad: string): void => {
    const list = contributions.get(name);
    if (list) list.push(grad);
    else contributions.set(name, [grad]);
  };
  /** The summed gradient of a value (once all its readers are done), or null. */
  const total = new Map<string, string | null>();
  const gradOf = (name: string): string | null => {
    if (total.has(name)) return total.get(name)!;
    const parts = contributions.get(name) ?? [];
    const sum = parts.length === 0 ? null : parts.slice(1).reduce((acc, p) => b.add(acc, p), parts[0]!);
    total.set(name, sum);
    return sum;
  };
  const one = lossType.shape.length === 0 ? b.scalar(1) : b.constant({ dtype: 'F32', shape: [1], data: new Float32Array([1]) }, 'one');
  contribute(loss, one);

  const recompute = new SegmentRecomputation(graph, options.checkpoints ?? [], b, types, values, source);
  const typeOf = (name: string): TypeInfo => {
    const t = types.get(name);
    if (!t) throw new AaclipError(`no type for "${name}"`, source);
    return t;
  };

  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (!node.inputs.some(onPath) || !node.outputs.some((o) => reaches.has(o))) continue;
    const outputGrads = node.outputs.map(gradOf);
    const firstGrad = outputGrads.find((gr): gr is string => gr !== null);
    if (!firstGrad) continue;
    const def = getOp(node, source);
    if (def.gradient === 'none' || def.gradient === undefined) {
      throw new AaclipError(`node "${node.name}" (${node.op}) lies between a trained weight and the loss but has no gradient rule`, source);
    }
    const view = recompute.viewFor(i, firstGrad);
    const ctx: GradientContext = {
      node,
      g: b,
      outputGrad: (k) => outputGrads[k] ?? null,
      needsGrad: (k) => node.inputs[k] !== '' && node.inputs[k] !== undefined && onPath(node.inputs[k]!),
      input: (k) => view(node.inputs[k]!),
      output: (k) => view(node.outputs[k]!),
      inputType: (k) => typeOf(node.inputs[k]!),
      outputType: (k) => typeOf(node.outputs[k]!),
      value: (k) => (node.inputs[k] ? values.get(node.inputs[k]!) : undefined),
    };
    const inputGrads = def.gradient(ctx);
    node.inputs.forEach((input, k) => {
      const grad = inputGrads[k];
      if (grad && ctx.needsGrad(k)) contribute(input, grad);
    });
  }

  const gradientName = options.gradientName ?? defaultGradientName;
  b.output(loss, loss, 'F32', lossType.shape);
  for (const name of options.keepOutputs ?? []) {
    const t = typeOf(name);
    b.output(name, name, t.dtype, t.shape);
  }
  const gradientOutputs = new Map<string, string>();
  for (const w of wrt) {
    const grad = gradOf(w);
    if (!grad) throw new AaclipError(`trainable weight "${w}" does not affect the loss "${loss}"`, source);
    const name = gradientName(w);
    b.output(grad, name, 'F32', typeOf(w).shape);
    gradientOutputs.set(w, name);
  }
  return { graph: eliminateDeadCode(b.build()), lossOutput: loss, gradientOutputs };
}

/**
 * Gradient checkpointing: the forward nodes are split into segments at the checkpoint values;
 * the backward pass of a segment reads recomputed copies of the segment's values instead of the
 * originals, which the runtime then frees during the forward pass.
 */
class SegmentRecomputation {
  private readonly segmentOfNode: number[];
  private readonly segments: number;
  private readonly cloned = new Map<number, Map<string, string>>();
  private readonly isCheckpoint: Set<string>;

  constructor(
    private readonly graph: Graph,
    checkpoints: readonly string[],
    private readonly b: GraphBuilder,
    private readonly types: ReadonlyMap<string, TypeInfo>,
    private readonly known: ReadonlyMap<string, unknown>,
    source: string,
  ) {
    const { producer } = useDefIndex(graph);
    const bounds = checkpoints.map((c) => {
      const p = producer.get(c);
      if (p === undefined) throw new AaclipError(`checkpoint "${c}" is not a node output`, source);
      return p;
    }).sort((x, y) => x - y);
    this.isCheckpoint = new Set(checkpoints);
    this.segments = bounds.length;
    // Segment k holds the nodes after checkpoint k−1's producer up to and including checkpoint k's.
    this.segmentOfNode = graph.nodes.map((_, i) => bounds.filter((p) => p < i).length);
  }

  /** Maps forward value names as node `index`'s gradient rule should read them. */
  viewFor(index: number, trigger: string): (name: string) => string {
    const segment = this.segmentOfNode[index]!;
    // The part after the last checkpoint runs its backward right after its forward: nothing to save.
    if (segment >= this.segments) return (name) => name;
    let map = this.cloned.get(segment);
    if (!map) {
      map = this.cloneSegment(segment, trigger);
      this.cloned.set(segment, map);
    }
    const m = map;
    return (name) => m.get(name) ?? name;
  }

  private cloneSegment(segment: number, trigger: string): Map<string, string> {
    const { b } = this;
    const map = new Map<string, string>();
    // The copies must not run before the backward pass reaches the segment, and a runtime's
    // common-subexpression elimination must not merge them with the originals: each float input
    // from outside the segment is read as `input + 0·Σ(trigger)`, a data dependency on the
    // gradient arriving at the segment that changes no value.
    let zero: string | undefined;
    const entries = new Map<string, string>();
    const entry = (name: string): string => {
      if (name === '' || this.known.has(name) || this.types.get(name)?.dtype !== 'F32') return name;
      let e = entries.get(name);
      if (!e) {
        zero ??= b.mul(b.node('ReduceSum', [trigger], { keepdims: attrInt(0) }), b.scalar(0), `recompute_${segment}.dependency`);
        e = b.add(name, zero, `${name}.recompute_entry`);
        entries.set(name, e);
      }
      return e;
    };
    this.graph.nodes.forEach((node, i) => {
      if (this.segmentOfNode[i] !== segment) return;
      if (node.outputs.every((o) => this.isCheckpoint.has(o))) return;
      const outputs = node.outputs.map((o) => b.uniqueName(`${o}.recomputed`));
      const clone: Node = {
        ...node,
        name: b.uniqueName(`${node.name}.recompute`),
        inputs: node.inputs.map((x) => map.get(x) ?? entry(x)),
        outputs,
      };
      b.appendNode(clone);
      node.outputs.forEach((o, k) => map.set(o, outputs[k]!));
    });
    return map;
  }
}
