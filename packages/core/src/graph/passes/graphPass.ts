// A rewrite of a whole graph, chosen by what the target device runs (see selectPasses): the
// towers emit plain ONNX ops only, and fusions and reduced precisions are passes over that graph,
// as onnxruntime's own fusions are (a pattern and its replacement), not flags the builders carry.
import type { Precision } from '../../config/precision.js';
import type { Graph } from '../ir.js';

/** The fusions, by name: each matches a pattern of plain ops the towers emit. */
export const FUSION_NAMES = ['fuse-attention', 'fuse-gelu'] as const;
export type FusionName = (typeof FUSION_NAMES)[number];

export interface GraphPass {
  readonly name: string;
  /**
   * Operators outside the default ONNX domain the rewritten graph uses, as "domain:Op": the
   * device must declare every one (DeviceCapabilities.ops).
   */
  readonly needsOps: readonly string[];
  /** For a precision pass, the precision the graph runs in afterwards. */
  readonly precision?: Exclude<Precision, 'fp32'>;
  /**
   * Whether the result can still be differentiated (the op table has a gradient rule for every op
   * the pass emits). Graphs that will be differentiated only get passes that keep this.
   */
  readonly differentiable: boolean;
  /** The rewritten graph (a new one; the input is not changed, its weights may be shared). */
  apply(graph: Graph): Graph;
}

