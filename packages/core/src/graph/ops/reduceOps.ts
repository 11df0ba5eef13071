// Reductions. At opset 17 ReduceSum takes its axes as an input, ReduceMean as an attribute.
import { AaclipError } from '../../errors/aaclipError.js';
import type { Dim } from '../ir.js';
import { staticShape } from './broadcast.js';
import type { GradientContext, ShapeContext, TypeInfo } from './opRegistry.js';
import { attrIntOf, attrIntsOf, intsOf, normAxis, registerOp } from './opRegistry.js';

const where = (ctx: { node: { name: string; op: string } }): string => `node "${ctx.node.name}" (${ctx.node.op})`;

/** The reduced axes (normalised); every axis when none are given. */
function reducedAxes(ctx: ShapeContext | GradientContext, rank: number): number[] {
  const fromInput = ctx.node.op === 'ReduceSum';
  let axes: readonly number[] | undefined;
  if (fromInput) {
    if (ctx.node.inputs.length > 1 && ctx.node.inputs[1]) {
      axes = intsOf(ctx.value(1));
      if (!axes) throw new AaclipError('axes must be known when the graph is built', where(ctx));
    }
  } else {
    axes = attrIntsOf(ctx.node, 'axes');
  }
  if (!axes || axes.length === 0) return Array.from({ length: rank }, (_, i) => i);
  return axes.map((a) => normAxis(a, rank, ctx.node));
}

function reducedShape(shape: readonly Dim[], axes: readonly number[], keepdims: boolean): Dim[] {
  return keepdims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

function reduceTypes(ctx: ShapeContext): TypeInfo[] {
  const x = ctx.inputs[0];
  if (!x) throw new AaclipError('input 0 is missing', where(ctx));
  const axes = reducedAxes(ctx, x.shape.length);
  return [{ dtype: x.dtype, shape: reducedShape(x.shape, axes, attrIntOf(ctx.node, 'keepdims', 1) === 1) }];
}

/** Spreads dY back over the reduced axes (× `scale`). */
function spread(ctx: GradientContext, scale: (count: number) => number): (string | null)[] {
  const dy = ctx.outputGrad(0);
  const grads: (string | null)[] = ctx.node.inputs.map(() => null);
  if (!dy || !ctx.needsGrad(0)) return grads;
  const shape = staticShape(ctx.inputType(0).shape, `node "${ctx.node.name}" (${ctx.node.op} gradient)`);
  const axes = reducedAxes(ctx, shape.length);
  const kept = attrIntOf(ctx.node, 'keepdims', 1) === 1 ? dy : ctx.g.reshape(dy, reducedShape(shape, axes, true) as number[]);
  const count = axes.reduce((n, a) => n * shape[a]!, 1);
  const factor = scale(count);
  const scaled = factor === 1 ? kept : ctx.g.mul(kept, ctx.g.scalar(factor));
  grads[0] = ctx.g.expand(scaled, ctx.g.int64s(shape));
  return grads;
}

registerOp({ domain: '', op: 'ReduceSum', inferTypes: reduceTypes, gradient: (ctx) => spread(ctx, () => 1) });
registerOp({ domain: '', op: 'ReduceMean', inferTypes: reduceTypes, gradient: (ctx) => spread(ctx, (n) => 1 / n) });
registerOp({ domain: '', op: 'ReduceMax', inferTypes: reduceTypes, gradient: 'none' });

for (const op of ['ArgMax', 'ArgMin']) {
  registerOp({
    domain: '',
    op,
    inferTypes: (ctx) => {
      const x = ctx.inputs[0];
      if (!x) throw new AaclipError('input 0 is missing', where(ctx));
      const axis = normAxis(attrIntOf(ctx.node, 'axis', 0), x.shape.length, ctx.node);
      return [{ dtype: 'I64', shape: reducedShape(x.shape, [axis], attrIntOf(ctx.node, 'keepdims', 1) === 1) }];
    },
    gradient: 'none',
  });
}
