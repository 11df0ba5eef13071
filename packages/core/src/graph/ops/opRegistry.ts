/**
 * The op table: for every (domain, op) the graph IR knows, its shape rule and — for
 * differentiable ops — its gradient rule, registered once like tfjs's `registerGradient`.
 * Shape inference, the autodiff and the rewrite passes all read this one table.
 */
import { AaclipError } from '../../errors/aaclipError.js';
import type { DType, Tensor } from '../../tensor/tensor.js';
import type { GraphBuilder } from '../graphBuilder.js';
import type { Attr, Dim, Node, ValueInfo } from '../ir.js';

/** A value's type as shape inference derives it. */
export interface TypeInfo {
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

export interface ShapeContext {
  readonly node: Node;
  /** Types of the node's inputs; undefined for an omitted optional input (""). */
  readonly inputs: readonly (TypeInfo | undefined)[];
  /** The value of input `i` when it is known at build time (an initializer or a folded shape computation). */
  value(i: number): Tensor | undefined;
}

export interface GradientContext {
  readonly node: Node;
  /** Emits the backward nodes. */
  readonly g: GraphBuilder;
  /** Gradient flowing into output `i`, or null when that output does not reach the loss. */
  outputGrad(i: number): string | null;
  /** Whether input `i` needs a gradient (it lies between a trained weight and the loss). */
  needsGrad(i: number): boolean;
  /**
   * Forward input `i` as the backward pass may read it (inside a recomputed segment, the
   * recomputed copy). Reading a forward value keeps it alive until the backward pass: read only
   * what the rule needs.
   */
  input(i: number): string;
  /** Forward output `i`, as `input`. */
  output(i: number): string;
  inputType(i: number): TypeInfo;
  outputType(i: number): TypeInfo;
  /** The build-time value of input `i`, when known (constant indices, axes, shapes). */
  value(i: number): Tensor | undefined;
}

/** Returns one gradient per input: a value name, or null for inputs that get none. */
export type GradientFn = (ctx: GradientContext) => (string | null)[];

export interface OpDef {
  readonly domain: string;
  readonly op: string;
  /** Output types from input types (and known input values). */
  inferTypes(ctx: ShapeContext): TypeInfo[];
  /**
   * Folds the op when every input it reads is known (shape arithmetic on int64 tensors), so that
   * the shapes downstream (Reshape, Expand targets) are known.
   */
  evaluate?(ctx: ShapeContext): Tensor[] | undefined;
  /**
   * The gradient rule; 'none' marks ops whose outputs carry no gradient (Shape, ArgMax, Equal,
   * Cast, …). Ops without either cannot lie on a differentiated path.
   */
  readonly gradient?: GradientFn | 'none';
}

const table = new Map<string, OpDef>();
const keyOf = (domain: string, op: string): string => `${domain || 'ai.onnx'}::${op}`;

export function registerOp(def: OpDef): void {
  table.set(keyOf(def.domain, def.op), def);
}

export function findOp(domain: string | undefined, op: string): OpDef | undefined {
  return table.get(keyOf(domain ?? '', op));
}

export function getOp(node: Node, source: string): OpDef {
  const def = findOp(node.domain, node.op);
  if (!def) throw new AaclipError(`node "${node.name}": operator ${node.domain ? `${node.domain}.` : ''}${node.op} is not in the op table`, source);
  return def;
}

/** Every registered op, for tests that loop over the table. */
export function registeredOps(): OpDef[] {
  return [...table.values()];
}

// Attribute readers with defaults (ONNX attributes are optional with documented defaults).
export function attrIntOf(node: Node, name: string, fallback: number): number {
  const a: Attr | undefined = node.attributes[name];
  return a && a.kind === 'int' ? a.value : fallback;
}
export function attrFloatOf(node: Node, name: string, fallback: number): number {
  const a = node.attributes[name];
  return a && a.kind === 'float' ? a.value : fallback;
}
export function attrIntsOf(node: Node, name: string): readonly number[] | undefined {
  const a = node.attributes[name];
  return a && a.kind === 'ints' ? a.value : undefined;
}

/** Normalises a possibly negative axis against a rank. */
export function normAxis(axis: number, rank: number, node: Node): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new AaclipError(`axis ${axis} is out of range for rank ${rank}`, `node "${node.name}" (${node.op})`);
  return a;
}

/** Reads a known int64 (or int32) tensor as numbers. */
export function intsOf(t: Tensor | undefined): number[] | undefined {
  if (!t) return undefined;
  if (t.data instanceof BigInt64Array) return Array.from(t.data, Number);
  if (t.data instanceof Int32Array) return Array.from(t.data);
  return undefined;
}

export function int64Tensor(values: readonly number[], shape: readonly number[] = [values.length]): Tensor {
  return { dtype: 'I64', shape: [...shape], data: BigInt64Array.from(values, (v) => BigInt(v)) };
}

export type { ValueInfo };
