// The numeric precision a detector's inference models run in (DESIGN.md: training stays float32).
import { z } from 'zod';

export const Precision = z
  .enum([
    /** Float32 throughout: the reference's numbers. */
    'fp32',
    /**
     * Float16 weights and activations, with LayerNorm, softmax and the L2 normalisation of the
     * outputs kept in float32 for range; inputs and outputs stay float32. For GPUs.
     */
    'fp16',
    /**
     * Weights quantised once to symmetric int8 per output channel, activations quantised per run
     * (onnxruntime's DynamicQuantizeMatMul, which uses VNNI on CPUs that have it).
     */
    'int8',
  ])
  .default('fp32');
export type Precision = z.infer<typeof Precision>;

/** Every precision, in the order above. */
export const PRECISIONS: readonly Precision[] = Precision.unwrap().options;
