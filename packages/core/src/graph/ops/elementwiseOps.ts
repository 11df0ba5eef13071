// Elementwise ops: shape rules (numpy broadcasting) and gradients.
import { AaclipError } from '../../errors/aaclipError.js';
import type { DType } from '../../tensor/tensor.js';
import { ONNX_DATA_TYPE } from '../onnx/onnxDataType.js';
import { broadcastShapes, reduceToShape } from './broadcast.js';
import type { GradientContext, GradientFn, ShapeContext, TypeInfo } from './opRegistry.js';
import { attrFloatOf, attrIntOf, registerOp } from './opRegistry.js';

const where = (ctx: ShapeContext): string => `node "${ctx.node.name}" (${ctx.node.op})`;

function requireInput(ctx: ShapeContext, i: number): TypeInfo {
  const t = ctx.inputs[i];
  if (!t) throw new AaclipError(`input ${i} is missing`, where(ctx));
  return t;
}

/** Same type as input 0. */
function unary(ctx: ShapeContext): TypeInfo[] {
  return [requireInput(ctx, 0)];
}

function broadcasting(dtype: (ctx: ShapeContext) => DType) {
  return (ctx: ShapeContext): TypeInfo[] => {
    const shapes = ctx.inputs.filter((t): t is TypeInfo => t !== undefined).map((t) => t.shape);
    return [{ dtype: dtype(ctx), shape: broadcastShapes(shapes, where(ctx)) }];
  };
}
const firstDtype = (ctx: ShapeContext): DType => requireInput(ctx, 0).dtype;
const boolDtype = (): DType => 'BOOL';

/** dL/d(input i) for an input that was broadcast to the output's shape. */
function unbroadcast(ctx: GradientContext, grad: string, i: number): string {
  return reduceToShape(ctx.g, grad, ctx.outputType(0).shape, ctx.inputType(i).shape);
}

function binary(name: string, rule: (ctx: GradientContext, dy: string, i: 0 | 1) => string): void {
  const gradient: GradientFn = (ctx) => {
    const dy = ctx.outputGrad(0);
    if (!dy) return [null, null];
    return ([0, 1] as const).map((i) => (ctx.needsGrad(i) ? unbroadcast(ctx, rule(ctx, dy, i), i) : null));
  };
  registerOp({ domain: '', op: name, inferTypes: broadcasting(firstDtype), gradient });
}

binary('Add', (_ctx, dy) => dy);
binary('Sub', (ctx, dy, i) => (i === 0 ? dy : ctx.g.node('Neg', [dy])));
binary('Mul', (ctx, dy, i) => ctx.g.mul(dy, ctx.input(1 - i)));
// y = a / b: da = dy / b; db = −dy · y / b.
binary('Div', (ctx, dy, i) =>
  i === 0 ? ctx.g.div(dy, ctx.input(1)) : ctx.g.node('Neg', [ctx.g.div(ctx.g.mul(dy, ctx.output(0)), ctx.input(1))]),
);

function unaryOp(name: string, rule?: (ctx: GradientContext, dy: string) => string): void {
  registerOp({
    domain: '',
    op: name,
    inferTypes: unary,
    gradient: rule ? (ctx) => {
      const dy = ctx.outputGrad(0);
      return [dy && ctx.needsGrad(0) ? rule(ctx, dy) : null];
    } : 'none',
  });
}

unaryOp('Identity', (_ctx, dy) => dy);
unaryOp('Neg', (ctx, dy) => ctx.g.node('Neg', [dy]));
// y = √x: dx = dy · 0.5 / y.
unaryOp('Sqrt', (ctx, dy) => ctx.g.div(ctx.g.mul(dy, ctx.g.scalar(0.5)), ctx.output(0)));
unaryOp('Exp', (ctx, dy) => ctx.g.mul(dy, ctx.output(0)));
unaryOp('Log', (ctx, dy) => ctx.g.div(dy, ctx.input(0)));
// erf'(x) = 2/√π · exp(−x²).
unaryOp('Erf', (ctx, dy) => {
  const x = ctx.input(0);
  const e = ctx.g.node('Exp', [ctx.g.node('Neg', [ctx.g.mul(x, x)])]);
  return ctx.g.mul(dy, ctx.g.mul(e, ctx.g.scalar(2 / Math.sqrt(Math.PI))));
});
// σ'(x) = y·(1 − y).
unaryOp('Sigmoid', (ctx, dy) => {
  const y = ctx.output(0);
  return ctx.g.mul(dy, ctx.g.mul(y, ctx.g.sub(ctx.g.scalar(1), y)));
});
// dx = dy where x > 0, α·dy elsewhere (PyTorch's LeakyReLU backward uses x > 0 too).
unaryOp('LeakyRelu', (ctx, dy) => {
  const alpha = attrFloatOf(ctx.node, 'alpha', 0.01);
  const positive = ctx.g.node('Greater', [ctx.input(0), ctx.g.scalar(0)]);
  return ctx.g.node('Where', [positive, dy, ctx.g.mul(dy, ctx.g.scalar(alpha))]);
});
unaryOp('Relu', (ctx, dy) => {
  const positive = ctx.g.node('Greater', [ctx.input(0), ctx.g.scalar(0)]);
  return ctx.g.node('Where', [positive, dy, ctx.g.scalar(0)]);
});
unaryOp('Abs');
unaryOp('Floor');
unaryOp('Round');

// Clip(x, min, max): only used off the gradient path here (clamping targets), but its gradient is
// simple: dy where min ≤ x ≤ max.
registerOp({ domain: '', op: 'Clip', inferTypes: unary, gradient: 'none' });

// Comparisons and logic: boolean outputs, no gradient.
for (const op of ['Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'And', 'Or']) {
  registerOp({ domain: '', op, inferTypes: broadcasting(boolDtype), gradient: 'none' });
}
registerOp({ domain: '', op: 'Not', inferTypes: unary, gradient: 'none' });

// Where(cond, a, b): the gradient goes to a where cond holds and to b elsewhere.
registerOp({
  domain: '',
  op: 'Where',
  inferTypes: (ctx) => [{ dtype: requireInput(ctx, 1).dtype, shape: broadcastShapes([0, 1, 2].map((i) => requireInput(ctx, i).shape), where(ctx)) }],
  gradient: (ctx) => {
    const dy = ctx.outputGrad(0);
    if (!dy) return [null, null, null];
    const zero = ctx.g.scalar(0);
    const cond = ctx.input(0);
    return [
      null,
      ctx.needsGrad(1) ? unbroadcast(ctx, ctx.g.node('Where', [cond, dy, zero]), 1) : null,
      ctx.needsGrad(2) ? unbroadcast(ctx, ctx.g.node('Where', [cond, zero, dy]), 2) : null,
    ];
  },
});

const DTYPE_BY_ONNX = new Map<number, DType>(Object.entries(ONNX_DATA_TYPE).map(([k, v]) => [v, k as DType]));

registerOp({
  domain: '',
  op: 'Cast',
  inferTypes: (ctx) => {
    const to = DTYPE_BY_ONNX.get(attrIntOf(ctx.node, 'to', -1));
    if (!to) throw new AaclipError('Cast: unknown target type', where(ctx));
    return [{ dtype: to, shape: requireInput(ctx, 0).shape }];
  },
  evaluate: (ctx) => {
    const x = ctx.value(0);
    const to = DTYPE_BY_ONNX.get(attrIntOf(ctx.node, 'to', -1));
    if (!x || to !== 'I64' || !(x.data instanceof BigInt64Array)) return undefined;
    return [x];
  },
  gradient: 'none',
});
