// Ops that move data without arithmetic: their shape rules (folding int64 shape computations so
// that Reshape and Expand targets are known) and gradients (the inverse movement).
import { AaclipError } from '../../errors/aaclipError.js';
import type { Tensor } from '../../tensor/tensor.js';
import { attrInt } from '../ir.js';
import type { Dim } from '../ir.js';
import { reduceToShape, reshapeTo, staticShape } from './broadcast.js';
import type { GradientContext, ShapeContext, TypeInfo } from './opRegistry.js';
import { attrIntOf, attrIntsOf, int64Tensor, intsOf, normAxis, registerOp } from './opRegistry.js';

const where = (ctx: { node: { name: string; op: string } }): string => `node "${ctx.node.name}" (${ctx.node.op})`;

function input0(ctx: ShapeContext): TypeInfo {
  const t = ctx.inputs[0];
  if (!t) throw new AaclipError('input 0 is missing', where(ctx));
  return t;
}

function knownInts(ctx: ShapeContext, i: number, what: string): number[] {
  const v = intsOf(ctx.value(i));
  if (!v) throw new AaclipError(`${what} (input ${i}) must be known when the graph is built`, where(ctx));
  return v;
}

const numelOf = (shape: readonly Dim[]): number | undefined =>
  shape.every((d): d is number => typeof d === 'number') ? shape.reduce((a, b) => a * b, 1) : undefined;

function reshapeTarget(input: readonly Dim[], target: readonly number[], ctx: ShapeContext): Dim[] {
  const out: Dim[] = target.map((d, i) => (d === 0 ? input[i]! : d));
  const inferred = out.indexOf(-1);
  if (inferred >= 0) {
    const total = numelOf(input);
    const rest = numelOf(out.filter((_, i) => i !== inferred));
    if (total !== undefined && rest !== undefined && rest > 0) {
      if (total % rest !== 0) throw new AaclipError(`cannot reshape [${input.join(', ')}] to [${target.join(', ')}]`, where(ctx));
      out[inferred] = total / rest;
    } else {
      out[inferred] = `${ctx.node.name}_dim${inferred}`;
    }
  }
  return out;
}

/** Gradient of a pure reshape-like op: reshape dY back to the input's (static) shape. */
const reshapeBack = (ctx: GradientContext): (string | null)[] => {
  const dy = ctx.outputGrad(0);
  const grads: (string | null)[] = ctx.node.inputs.map(() => null);
  if (dy && ctx.needsGrad(0)) grads[0] = reshapeTo(ctx.g, dy, ctx.inputType(0).shape);
  return grads;
};

registerOp({
  domain: '',
  op: 'Reshape',
  inferTypes: (ctx) => [{ dtype: input0(ctx).dtype, shape: reshapeTarget(input0(ctx).shape, knownInts(ctx, 1, 'the target shape'), ctx) }],
  evaluate: (ctx) => {
    const x = ctx.value(0);
    const target = intsOf(ctx.value(1));
    if (!x || !target || !(x.data instanceof BigInt64Array)) return undefined;
    return [{ dtype: x.dtype, shape: staticShape(reshapeTarget(x.shape, target, ctx), 'Reshape'), data: x.data }];
  },
  gradient: reshapeBack,
});

function squeezeAxes(ctx: ShapeContext): number[] {
  const rank = input0(ctx).shape.length;
  const axes = ctx.node.inputs.length > 1 && ctx.node.inputs[1] ? knownInts(ctx, 1, 'axes') : input0(ctx).shape.flatMap((d, i) => (d === 1 ? [i] : []));
  return axes.map((a) => normAxis(a, rank, ctx.node));
}

registerOp({
  domain: '',
  op: 'Squeeze',
  inferTypes: (ctx) => {
    const axes = squeezeAxes(ctx);
    return [{ dtype: input0(ctx).dtype, shape: input0(ctx).shape.filter((_, i) => !axes.includes(i)) }];
  },
  gradient: reshapeBack,
});

function unsqueezeShape(ctx: ShapeContext): Dim[] {
  const x = input0(ctx).shape;
  const rank = x.length + knownInts(ctx, 1, 'axes').length;
  const axes = knownInts(ctx, 1, 'axes').map((a) => normAxis(a, rank, ctx.node));
  const out: Dim[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : x[j++]!);
  return out;
}

registerOp({
  domain: '',
  op: 'Unsqueeze',
  inferTypes: (ctx) => [{ dtype: input0(ctx).dtype, shape: unsqueezeShape(ctx) }],
  evaluate: (ctx) => {
    const x = ctx.value(0);
    if (!x || !(x.data instanceof BigInt64Array)) return undefined;
    return [{ dtype: x.dtype, shape: staticShape(unsqueezeShape(ctx), 'Unsqueeze'), data: x.data }];
  },
  gradient: reshapeBack,
});

function permOf(ctx: { node: ShapeContext['node'] }, rank: number): number[] {
  return [...(attrIntsOf(ctx.node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i))];
}

registerOp({
  domain: '',
  op: 'Transpose',
  inferTypes: (ctx) => {
    const x = input0(ctx);
    return [{ dtype: x.dtype, shape: permOf(ctx, x.shape.length).map((p) => x.shape[p]!) }];
  },
  gradient: (ctx) => {
    const dy = ctx.outputGrad(0);
    if (!dy || !ctx.needsGrad(0)) return [null];
    const perm = permOf(ctx, ctx.inputType(0).shape.length);
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return [ctx.g.transpose(dy, inverse)];
  },
});

registerOp({
  domain: '',
  op: 'Concat',
  inferTypes: (ctx) => {
    const first = input0(ctx);
    const axis = normAxis(attrIntOf(ctx.node, 'axis', 0), first.shape.length, ctx.node);
    const shape = [...first.shape];
    let total: Dim = 0;
    for (const t of ctx.inputs) {
      const d = t?.shape[axis];
      total = typeof total === 'number' && typeof d === 'number' ? total + d : `${ctx.node.name}_dim${axis}`;
    }
    shape[axis] = total;
    return [{ dtype: first.dtype, shape }];
  },
  evaluate: (ctx) => {
    const parts = ctx.node.inputs.map((_, i) => intsOf(ctx.value(i)));
    if (parts.some((p) => p === undefined) || input0(ctx).shape.length !== 1) return undefined;
    return [int64Tensor(parts.flatMap((p) => p!))];
  },
  // Each input's gradient is its slice of dY along the axis.
  gradient: (ctx) => {
    const dy = ctx.outputGrad(0);
    const rank = ctx.outputType(0).shape.length;
    const axis = normAxis(attrIntOf(ctx.node, 'axis', 0), rank, ctx.node);
    let start = 0;
    return ctx.node.inputs.map((_, i) => {
      const size = ctx.inputType(i).shape[axis];
      if (typeof size !== 'number') throw new AaclipError('Concat gradient needs a concrete size on the axis', where(ctx));
      const begin = start;
      start += size;
      return dy && ctx.needsGrad(i) ? ctx.g.slice(dy, [begin], [begin + size], [axis]) : null;
    });
  },
});

interface SliceSpec {
  starts: number[];
  ends: number[];
  axes: number[];
  steps: number[];
}

function sliceSpec(ctx: ShapeContext | GradientContext, shape: readonly Dim[]): SliceSpec {
  const read = (i: number): number[] | undefined => (ctx.node.inputs[i] ? intsOf(ctx.value(i)) : undefined);
  const starts = read(1);
  const ends = read(2);
  if (!starts || !ends) throw new AaclipError('starts and ends must be known when the graph is built', where(ctx));
  const axes = (read(3) ?? starts.map((_, i) => i)).map((a) => normAxis(a, shape.length, ctx.node));
  const steps = read(4) ?? starts.map(() => 1);
  return { starts, ends, axes, steps };
}

/** The [begin, end) range and the output size of one sliced axis (positive steps only). */
function sliceRange(dim: number, start: number, end: number, step: number, ctx: { node: ShapeContext['node'] }): [number, number, number] {
  if (step <= 0) throw new AaclipError('only positive Slice steps are supported', where(ctx));
  const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
  const b = clamp(start);
  const e = clamp(end);
  return [b, e, Math.max(0, Math.ceil((e - b) / step))];
}

registerOp({
  domain: '',
  op: 'Slice',
  inferTypes: (ctx) => {
    const x = input0(ctx);
    const spec = sliceSpec(ctx, x.shape);
    const shape = [...x.shape];
    spec.axes.forEach((axis, i) => {
      const dim = x.shape[axis];
      shape[axis] = typeof dim === 'number' ? sliceRange(dim, spec.starts[i]!, spec.ends[i]!, spec.steps[i]!, ctx)[2] : `${ctx.node.name}_dim${axis}`;
    });
    return [{ dtype: x.dtype, shape }];
  },
  evaluate: (ctx) => {
    const x = intsOf(ctx.value(0));
    if (!x || input0(ctx).shape.length !== 1) return undefined;
    const spec = sliceSpec(ctx, [x.length]);
    const [b, e, n] = sliceRange(x.length, spec.starts[0]!, spec.ends[0]!, spec.steps[0]!, ctx);
    void e;
    return [int64Tensor(Array.from({ length: n }, (_, i) => x[b + i * spec.steps[0]!]!))];
  },
  // The gradient is dY padded with zeros back to the input's extent (unit steps).
  gradient: (ctx) => {
    const dy = ctx.outputGrad(0);
    const grads: (string | null)[] = ctx.node.inputs.map(() => null);
    if (!dy || !ctx.needsGrad(0)) return grads;
    const shape = staticShape(ctx.inputType(0).shape, `node "${ctx.node.name}" (Slice gradient)`);
    const spec = sliceSpec(ctx, shape);
    const pads = new Array<number>(shape.length * 2).fill(0);
    spec.axes.forEach((axis, i) => {
      const [b, , n] = sliceRange(shape[axis]!, spec.starts[i]!, spec.ends[i]!, spec.steps[i]!, ctx);
      if (spec.steps[i] !== 1) throw new AaclipError('Slice gradient supports unit steps only', where(ctx));
      pads[axis] = b;
      pads[axis + shape.length] = shape[axis]! - b - n;
    });
    grads[0] = ctx.g.node('Pad', [dy, ctx.g.int64s(pads)]);
    return grads;
  },
});

registerOp({
  domain: '',
  op: 'Pad',
  inferTypes: (ctx) => {
    const x = input0(ctx);
    const pads = knownInts(ctx, 1, 'pads');
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (typeof d === 'number' ? d + pads[i]! + pads[i + x.shape.length]! : d)) }];
  },
  // Constant-mode Pad's gradient is the un-padded region of dY.
  gradient: (ctx) => {
    const dy = ctx.outputGrad(0);
    const grads: (string | null)[] = ctx.node.inputs.map(() => null);
    if (!dy || !ctx.needsGrad(0)) return grads;
    const shape = staticShape(ctx.inputType(0).shape, `node "${ctx.node.name}" (Pad gradient)`);
    const pads = intsOf(ctx.value(1))!;
    const axes = shape.map((_, i) => i);
    grads[0] = ctx.g.slice(dy, axes.map((i) => pads[i]!), axes.map((i) => pads[i]! + shape[i]!), axes);
    return grads;
  },
});

registerOp({
  domain: '',
  op: 'Gather',
  inferTypes: (ctx) => {
    const x = input0(ctx);
    const indices = ctx.inputs[1];
    if (!indices) throw new AaclipError('indices are missing', where(ctx));
    const axis = normAxis(attrIntOf(ctx.node, 'axis', 0), x.shape.length, ctx.node);
    return [{ dtype: x.dtype, shape: [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)] }];
  },
  evaluate: (ctx) => {
    const x = intsOf(ctx.value(0));
    const idx = intsOf(ctx.value(1));
    const indices = ctx.value(1);
    if (!x || !idx || !indices || input0(ctx).shape.length !== 1) return undefined;
    const picked = idx.map((i) => x[i < 0 ? i + x.length : i]!);
    return [int64Tensor(picked, indices.shape)];
  },
  // Only a constant scalar index is differentiable here: its gradient is dY placed at that index
  // (unsqueeze the axis back, pad with zeros on either side).
  gradient: (ctx) => {
    const dy = ctx.outputGrad(0);
    if (!dy || !ctx.needsGrad(0)) return [null, null];
    const index = intsOf(ctx.value(1));
    const indices = ctx.value(1);
    if (!index || !indices || indices.shape.length !== 0) {
      throw new AaclipError('Gather is differentiable only with a constant scalar index', where(ctx));
    }
    const shape = staticShape(ctx.inputType(0).shape, `node "${ctx.node.name}" (Gather gradient)`);
    const axis = normAxis(attrIntOf(ctx.node, 'axis', 0), shape.length, ctx.node);
    const i = index[0]! < 0 ? index[0]! + shape[axis]! : index[0]!;
    const pads = new Array<number>(shape.length * 2).fill(0);
    pads[axis] = i;
    pads[axis + shape.length] = shape[axis]! - i - 1;
    return [ctx.g.node('Pad', [ctx.g.unsqueeze(dy, [axis]), ctx.g.int64s(pads)]), null];
  },
});

registerOp({
  domain: '',
  op: 'Expand',
  inferTypes: (ctx) => {
    const x = input0(ctx);
    // A target computed at run time (e.g. from a symbolic batch) still has a known length: its
    // dimensions are then symbolic where the input's do not decide them.
    const targetLength = ctx.inputs[1]?.shape[0];
    const known = ctx.value(1) !== undefined || typeof targetLength !== 'number' ? knownInts(ctx, 1, 'the target shape') : undefined;
    const target: Dim[] = known ?? Array.from({ length: targetLength as number }, (_, i) => `${ctx.node.name}:${i}`);
    const rank = Math.max(x.shape.length, target.length);
    const shape: Dim[] = [];
    for (let i = 0; i < rank; i++) {
      const a = x.shape[x.shape.length - rank + i] ?? 1;
      const b = target[target.length - rank + i] ?? 1;
      shape.push(a === 1 ? b : a);
    }
    return [{ dtype: x.dtype, shape }];
  },
  gradient: (ctx) => {
    const dy = ctx.outputGrad(0);
    if (!dy || !ctx.needsGrad(0)) return [null, null];
    return [reduceToShape(ctx.g, dy, ctx.outputType(0).shape, ctx.inputType(0).shape), null];
  },
});

registerOp({
  domain: '',
  op: 'Shape',
  inferTypes: (ctx) => {
    const rank = input0(ctx).shape.length;
    const [b, e] = shapeRange(ctx, rank);
    return [{ dtype: 'I64', shape: [e - b] }];
  },
  evaluate: (ctx) => {
    const shape = input0(ctx).shape;
    const [b, e] = shapeRange(ctx, shape.length);
    const dims = shape.slice(b, e);
    if (!dims.every((d): d is number => typeof d === 'number')) return undefined;
    return [int64Tensor(dims)];
  },
  gradient: 'none',
});

function shapeRange(ctx: ShapeContext, rank: number): [number, number] {
  const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  return [clamp(attrIntOf(ctx.node, 'start', 0)), clamp(attrIntOf(ctx.node, 'end', rank))];
}

registerOp({
  domain: '',
  op: 'Split',
  inferTypes: (ctx) => {
    const x = input0(ctx);
    const axis = normAxis(attrIntOf(ctx.node, 'axis', 0), x.shape.length, ctx.node);
    const sizes = knownInts(ctx, 1, 'split sizes');
    return sizes.map((s) => {
      const shape = [...x.shape];
      shape[axis] = s;
      return { dtype: x.dtype, shape };
    });
  },
  // The gradient is the outputs' gradients concatenated (zeros for outputs that get none).
  gradient: (ctx) => {
    if (!ctx.needsGrad(0)) return [null, null];
    const rank = ctx.inputType(0).shape.length;
    const axis = normAxis(attrIntOf(ctx.node, 'axis', 0), rank, ctx.node);
    const parts = ctx.node.outputs.map((_, i) => {
      const dy = ctx.outputGrad(i);
      if (dy) return dy;
      const shape = staticShape(ctx.outputType(i).shape, 'Split gradient');
      return ctx.g.node('ConstantOfShape', [ctx.g.int64s(shape)], { value: { kind: 'tensor', value: zeroScalar } });
    });
    return [ctx.g.node('Concat', parts, { axis: attrInt(axis) }), null];
  },
});

const zeroScalar: Tensor = { dtype: 'F32', shape: [1], data: new Float32Array([0]) };

registerOp({
  domain: '',
  op: 'ConstantOfShape',
  inferTypes: (ctx) => [{ dtype: 'F32', shape: knownInts(ctx, 0, 'the shape') }],
  gradient: 'none',
});
