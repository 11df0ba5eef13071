// Matrix products: MatMul (numpy semantics, batched with broadcasting) and Gemm.
import { AaclipError } from '../../errors/aaclipError.js';
import { attrInt } from '../ir.js';
import type { Dim } from '../ir.js';
import { broadcastShapes, reduceToShape } from './broadcast.js';
import type { GradientContext, ShapeContext, TypeInfo } from './opRegistry.js';
import { attrFloatOf, attrIntOf, registerOp } from './opRegistry.js';

const where = (ctx: { node: { name: string; op: string } }): string => `node "${ctx.node.name}" (${ctx.node.op})`;

function inputs2(ctx: ShapeContext): [TypeInfo, TypeInfo] {
  const [a, b] = ctx.inputs;
  if (!a || !b) throw new AaclipError('needs two inputs', where(ctx));
  return [a, b];
}

function matmulShape(ctx: ShapeContext): TypeInfo[] {
  const [a, b] = inputs2(ctx);
  if (a.shape.length < 2 || b.shape.length < 2) {
    throw new AaclipError(`1-D MatMul operands are not supported (shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}])`, where(ctx));
  }
  const [m, k] = a.shape.slice(-2) as [Dim, Dim];
  const [k2, n] = b.shape.slice(-2) as [Dim, Dim];
  if (typeof k === 'number' && typeof k2 === 'number' && k !== k2) {
    throw new AaclipError(`inner dimensions differ: [${a.shape.join(', ')}] @ [${b.shape.join(', ')}]`, where(ctx));
  }
  const batch = broadcastShapes([a.shape.slice(0, -2), b.shape.slice(0, -2)], where(ctx));
  return [{ dtype: a.dtype, shape: [...batch, m, n] }];
}

/** Swaps the last two axes. */
function transposeLast2(ctx: GradientContext, x: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 1] = rank - 2;
  perm[rank - 2] = rank - 1;
  return ctx.g.transpose(x, perm);
}

registerOp({
  domain: '',
  op: 'MatMul',
  inferTypes: matmulShape,
  // Y = A·B: dA = dY·Bᵀ, dB = Aᵀ·dY, each summed over the batch axes it was broadcast along.
  gradient: (ctx) => {
    const dy = ctx.outputGrad(0);
    if (!dy) return [null, null];
    const yShape = ctx.outputType(0).shape;
    const a = ctx.inputType(0);
    const b = ctx.inputType(1);
    const da = ctx.needsGrad(0)
      ? reduceToShape(ctx.g, ctx.g.matmul(dy, transposeLast2(ctx, ctx.input(1), b.shape.length)), [...yShape.slice(0, -2), ...a.shape.slice(-2)], a.shape)
      : null;
    const db = ctx.needsGrad(1)
      ? reduceToShape(ctx.g, ctx.g.matmul(transposeLast2(ctx, ctx.input(0), a.shape.length), dy), [...yShape.slice(0, -2), ...b.shape.slice(-2)], b.shape)
      : null;
    return [da, db];
  },
});

registerOp({
  domain: '',
  op: 'Gemm',
  inferTypes: (ctx) => {
    const [a, b] = inputs2(ctx);
    if (a.shape.length !== 2 || b.shape.length !== 2) throw new AaclipError('Gemm takes 2-D operands', where(ctx));
    const m = attrIntOf(ctx.node, 'transA', 0) ? a.shape[1]! : a.shape[0]!;
    const n = attrIntOf(ctx.node, 'transB', 0) ? b.shape[0]! : b.shape[1]!;
    return [{ dtype: a.dtype, shape: [m, n] }];
  },
  // Y = α·op(A)·op(B) + β·C. With op(A) = A (transA 0): dA = α·dY·op(B)ᵀ; transposed forms follow.
  gradient: (ctx) => {
    const dy = ctx.outputGrad(0);
    if (!dy) return [null, null, null];
    const transA = attrIntOf(ctx.node, 'transA', 0) === 1;
    const transB = attrIntOf(ctx.node, 'transB', 0) === 1;
    const alpha = attrFloatOf(ctx.node, 'alpha', 1);
    const beta = attrFloatOf(ctx.node, 'beta', 1);
    const gemm = (x: string, y: string, tx: boolean, ty: boolean): string =>
      ctx.g.node('Gemm', [x, y], { transA: attrInt(tx ? 1 : 0), transB: attrInt(ty ? 1 : 0), ...(alpha !== 1 ? { alpha: { kind: 'float', value: alpha } } : {}) });
    const a = ctx.input(0);
    const b = ctx.input(1);
    // dA (as stored): transA ? op(B)·dYᵀ : dY·op(B)ᵀ.
    const da = ctx.needsGrad(0) ? (transA ? gemm(b, dy, transB, true) : gemm(dy, b, false, !transB)) : null;
    // dB (as stored): transB ? dYᵀ·op(A) : op(A)ᵀ·dY.
    const db = ctx.needsGrad(1) ? (transB ? gemm(dy, a, true, transA) : gemm(a, dy, !transA, false)) : null;
    let dc: string | null = null;
    if (ctx.node.inputs.length > 2 && ctx.node.inputs[2] !== '' && ctx.needsGrad(2)) {
      const scaled = beta === 1 ? dy : ctx.g.mul(dy, ctx.g.scalar(beta));
      dc = reduceToShape(ctx.g, scaled, ctx.outputType(0).shape, ctx.inputType(2).shape);
    }
    return [da, db, dc];
  },
});
