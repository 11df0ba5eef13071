// onnxruntime's com.microsoft contrib ops the rewrite passes emit (inference only: no gradient
// rules, so a graph holding them is never differentiated).
import { AaclipError } from '../../errors/aaclipError.js';
import type { ShapeContext, TypeInfo } from './opRegistry.js';
import { registerOp } from './opRegistry.js';

const MICROSOFT = 'com.microsoft';
const where = (ctx: ShapeContext): string => `node "${ctx.node.name}" (${ctx.node.op})`;

function sameAsInput(ctx: ShapeContext): TypeInfo[] {
  const x = ctx.inputs[0];
  if (!x) throw new AaclipError('input 0 is missing', where(ctx));
  return [x];
}

/** Exact GELU, 0.5·x·(1 + erf(x/√2)). */
registerOp({ domain: MICROSOFT, op: 'Gelu', inferTypes: sameAsInput });

/** x·sigmoid(alpha·x). */
registerOp({ domain: MICROSOFT, op: 'QuickGelu', inferTypes: sameAsInput });

/**
 * A float A [.., M, K] times an int8 B [K, N] with per-column float scales (and bias [N]): A is
 * quantised to uint8 per run, the product accumulated in int32 and scaled back to float.
 */
registerOp({
  domain: MICROSOFT,
  op: 'DynamicQuantizeMatMul',
  inferTypes: (ctx) => {
    const [a, b] = ctx.inputs;
    if (!a || !b) throw new AaclipError('needs A and B', where(ctx));
    if (b.shape.length !== 2) throw new AaclipError(`B must be 2-D, got [${b.shape.join(', ')}]`, where(ctx));
    return [{ dtype: a.dtype, shape: [...a.shape.slice(0, -1), b.shape[1]!] }];
  },
});
