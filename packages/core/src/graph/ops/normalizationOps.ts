// Softmax, LogSoftmax and LayerNormalization, and com.microsoft's MultiHeadAttention (inference only).
import { AaclipError } from '../../errors/aaclipError.js';
import { reshapeTo } from './broadcast.js';
import type { GradientContext, ShapeContext, TypeInfo } from './opRegistry.js';
import { attrFloatOf, attrIntOf, normAxis, registerOp } from './opRegistry.js';

const where = (ctx: { node: { name: string; op: string } }): string => `node "${ctx.node.name}" (${ctx.node.op})`;

function sameAsInput(ctx: ShapeContext): TypeInfo[] {
  const x = ctx.inputs[0];
  if (!x) throw new AaclipError('input 0 is missing', where(ctx));
  return [x];
}

const axisOf = (ctx: GradientContext): number => normAxis(attrIntOf(ctx.node, 'axis', -1), ctx.inputType(0).shape.length, ctx.node);

registerOp({
  domain: '',
  op: 'Softmax',
  inferTypes: sameAsInput,
  // dx = y · (dy − Σ_axis dy·y).
  gradient: (ctx) => {
    const dy = ctx.outputGrad(0);
    if (!dy || !ctx.needsGrad(0)) return [null];
    const { g } = ctx;
    const y = ctx.output(0);
    return [g.mul(y, g.sub(dy, g.reduceSum(g.mul(dy, y), [axisOf(ctx)], true)))];
  },
});

registerOp({
  domain: '',
  op: 'LogSoftmax',
  inferTypes: sameAsInput,
  // dx = dy − softmax(x) · Σ_axis dy, with softmax(x) = exp(y).
  gradient: (ctx) => {
    const dy = ctx.outputGrad(0);
    if (!dy || !ctx.needsGrad(0)) return [null];
    const { g } = ctx;
    return [g.sub(dy, g.mul(g.node('Exp', [ctx.output(0)]), g.reduceSum(dy, [axisOf(ctx)], true)))];
  },
});

registerOp({
  domain: '',
  op: 'LayerNormalization',
  inferTypes: (ctx) => {
    const x = ctx.inputs[0];
    if (!x) throw new AaclipError('input 0 is missing', where(ctx));
    if (ctx.node.outputs.length > 1) throw new AaclipError('only the normalised output is supported', where(ctx));
    return [x];
  },
  // Over the last axis only. x̂ and 1/σ are recomputed from x in the backward pass (cheaper to keep
  // than the normalised activations): dx = (1/σ)·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), dx̂ = dy·w;
  // dw = Σ dy·x̂, db = Σ dy over every axis but the last.
  gradient: (ctx) => {
    const dy = ctx.outputGrad(0);
    if (!dy) return [null, null, null];
    const rank = ctx.inputType(0).shape.length;
    if (normAxis(attrIntOf(ctx.node, 'axis', -1), rank, ctx.node) !== rank - 1) {
      throw new AaclipError('the gradient supports normalisation over the last axis only', where(ctx));
    }
    const { g } = ctx;
    const eps = attrFloatOf(ctx.node, 'epsilon', 1e-5);
    const x = ctx.input(0);
    const centred = g.sub(x, g.reduceMean(x, [-1], true));
    const variance = g.reduceMean(g.mul(centred, centred), [-1], true);
    const invStd = g.div(g.scalar(1), g.sqrt(g.add(variance, g.scalar(eps))));
    const xhat = g.mul(centred, invStd);
    const rows = Array.from({ length: rank - 1 }, (_, i) => i);
    const weightShape = ctx.inputType(1).shape;
    let dx: string | null = null;
    if (ctx.needsGrad(0)) {
      const dxhat = g.mul(dy, ctx.input(1));
      const inner = g.sub(g.sub(dxhat, g.reduceMean(dxhat, [-1], true)), g.mul(xhat, g.reduceMean(g.mul(dxhat, xhat), [-1], true)));
      dx = g.mul(inner, invStd);
    }
    const dw = ctx.needsGrad(1) ? reshapeTo(g, g.reduceSum(g.mul(dy, xhat), rows, false), weightShape) : null;
    const db = ctx.node.inputs[2] && ctx.needsGrad(2) ? reshapeTo(g, g.reduceSum(dy, rows, false), ctx.inputType(2).shape) : null;
    return [dx, dw, db];
  },
});

// onnxruntime's fused attention: inference only (the training graphs use plain attention).
registerOp({
  domain: 'com.microsoft',
  op: 'MultiHeadAttention',
  inferTypes: (ctx) => {
    const q = ctx.inputs[0];
    const v = ctx.inputs[2];
    if (!q || !v) throw new AaclipError('query and value are required', where(ctx));
    return [{ dtype: q.dtype, shape: [q.shape[0]!, q.shape[1]!, v.shape[2]!] }];
  },
});
