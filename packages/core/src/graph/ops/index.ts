// Registers every op of the table (import for its side effect, once, before shape inference or autodiff).
import './elementwiseOps.js';
import './matmulOps.js';
import './shapeOps.js';
import './reduceOps.js';
import './normalizationOps.js';
import './contribOps.js';

export { findOp, getOp, registerOp, registeredOps } from './opRegistry.js';
export type { GradientContext, GradientFn, OpDef, ShapeContext, TypeInfo } from './opRegistry.js';
export { broadcastShapes, reduceToShape } from './broadcast.js';
