// Which passes a model gets: the fusions the device runs, then the requested precision's pass.
import type { DeviceCapabilities } from '../../backend/backend.js';
import { AaclipError } from '../../errors/aaclipError.js';
import { PRECISIONS, type Precision } from '../../config/precision.js';
import type { Graph } from '../ir.js';
import { float16 } from './float16.js';
import { fuseAttention } from './fuseAttention.js';
import { fuseGelu } from './fuseGelu.js';
import { FUSION_NAMES, type FusionName, type GraphPass } from './graphPass.js';
import { int8 } from './quantizeInt8.js';

/** What a device runs when its backend declares nothing: plain ONNX ops in float32. */
export const PLAIN_CAPABILITIES: DeviceCapabilities = { ops: [], precisions: ['fp32'] };

const FUSIONS: Readonly<Record<FusionName, GraphPass>> = { 'fuse-attention': fuseAttention, 'fuse-gelu': fuseGelu };
const PRECISION_PASSES: Readonly<Record<Exclude<Precision, 'fp32'>, GraphPass>> = { fp16: float16, int8 };

export interface PassSelection {
  /** Default 'fp32'. */
  readonly precision?: Precision;
  /**
   * Which fusions may run: true or omitted → every one the device runs; false → none (plain ONNX
   * ops, e.g. to tell a runtime's fused kernel from the model when debugging); a list → those of
   * it the device runs.
   */
  readonly rewrites?: boolean | readonly FusionName[];
  /** The graph will be differentiated: only passes that keep it differentiable, and fp32 only. */
  readonly training?: boolean;
  /** Names the device in errors, e.g. "node/cpu". */
  readonly device?: string;
}

/** Checks a user's rewrite list (names from FUSION_NAMES). */
export function checkRewrites(rewrites: boolean | readonly string[] | undefined, source = 'rewrites'): boolean | readonly FusionName[] | undefined {
  if (rewrites === undefined || typeof rewrites === 'boolean') return rewrites;
  for (const name of rewrites) {
    if (!(FUSION_NAMES as readonly string[]).includes(name)) {
      throw new AaclipError(`unknown rewrite "${name}" (rewrites: ${FUSION_NAMES.join(', ')})`, source);
    }
  }
  return rewrites as readonly FusionName[];
}

/** The passes for a model run on a device with these capabilities, in the order they apply. */
export function selectPasses(capabilities: DeviceCapabilities | undefined, selection: PassSelection = {}): GraphPass[] {
  const caps = capabilities ?? PLAIN_CAPABILITIES;
  const device = selection.device ?? 'this device';
  const precision = selection.precision ?? 'fp32';
  if (!PRECISIONS.includes(precision)) throw new AaclipError(`unknown precision "${String(precision)}" (precisions: ${PRECISIONS.join(', ')})`, 'precision');
  if (selection.training && precision !== 'fp32') {
    throw new AaclipError(`training graphs run in fp32 (got "${precision}")`, 'precision');
  }
  if (!caps.precisions.includes(precision)) {
    throw new AaclipError(`${device} cannot run "${precision}" (it runs: ${caps.precisions.join(', ')})`, 'precision');
  }
  const runs = (pass: GraphPass): boolean => pass.needsOps.every((op) => caps.ops.includes(op)) && (!selection.training || pass.differentiable);
  const wanted = checkRewrites(selection.rewrites);
  const names = wanted === false ? [] : wanted === true || wanted === undefined ? FUSION_NAMES : wanted;
  const passes = names.map((name) => FUSIONS[name]).filter(runs);
  if (precision !== 'fp32') {
    const pass = PRECISION_PASSES[precision];
    if (!pass.needsOps.every((op) => caps.ops.includes(op))) {
      throw new AaclipError(`${device} declares "${precision}" but not the operators it needs (${pass.needsOps.join(', ')})`, 'precision', { code: 'internal' });
    }
    passes.push(pass);
  }
  return passes;
}

/**
 * The passes of the text tower, from those of the image tower: without int8. The text tower runs
 * once per class (its anchors are cached), so quantising it saves no per-image time and would put
 * its rounding into every map; it stays float32 (fp16 stays: on GPUs it is the native precision).
 */
export function textTowerPasses(passes: readonly GraphPass[]): GraphPass[] {
  return passes.filter((pass) => pass.precision !== 'int8');
}

/** Applies passes in order. */
export function applyPasses(graph: Graph, passes: readonly GraphPass[]): Graph {
  return passes.reduce((g, pass) => pass.apply(g), graph);
}
