// The graph passes for models run on one backend's device: its declared capabilities and the
// requested precision decide (see selectPasses).
import type { Backend } from '../backend/backend.js';
import type { Precision } from '../config/precision.js';
import type { FusionName, GraphPass } from '../graph/passes/graphPass.js';
import { selectPasses } from '../graph/passes/selectPasses.js';

/** How the inference models are rewritten for the device. */
export interface RewriteOptions {
  /** 'fp32' (default), 'fp16' or 'int8'; the device must declare it (an error names the device otherwise). */
  readonly precision?: Precision;
  /**
   * Fusions: omitted or true → every one the device runs; false → none (plain ONNX ops, for
   * debugging); a list of names (FUSION_NAMES) → those of them the device runs.
   */
  readonly rewrites?: boolean | readonly FusionName[];
}

/** The passes for inference models on `backend`'s `device`. */
export function passesForDevice(backend: Backend, device: string, options: RewriteOptions = {}): GraphPass[] {
  return selectPasses(backend.capabilities?.(device), { ...options, device: `${backend.name}/${device}` });
}
