// The float32 GEMM rate the backend reaches on a device, measured with one MatMul of a vision
// tower's MLP shape ([tokens, width] × [width, 4·width]), so that the image pass's FLOP rate can be
// given as a fraction of what the machine's matrix multiplication does.
import { GraphBuilder, serializeModel, type Backend, type ClipModelConfig, type SessionOptions } from '@aaclip/core';
import { performance } from 'node:perf_hooks';

export interface GemmRate {
  /** [m, k] × [k, n]. */
  readonly shape: readonly [number, number, number];
  /** 2·m·k·n / the fastest of the timed runs, in GFLOP/s. */
  readonly gflops: number;
  readonly runs: number;
}

/** Tokens a ViT runs at `imageSize` (the patch grid plus the class token). */
export function visionTokens(config: ClipModelConfig, imageSize: number): number {
  const grid = Math.floor(imageSize / config.vision_cfg.patch_size);
  return grid * grid + 1;
}

/**
 * Multiply–adds ×2 of one image through the vision tower (blocks, patch embedding, adapters and
 * projections), counting matrix products only: what the GEMM rate is compared against.
 */
export function visionPassFlops(config: ClipModelConfig, imageSize: number, adaptedBlocks: number, levels: number): number {
  const { width: w, layers, patch_size: p, mlp_ratio: r } = config.vision_cfg;
  const t = visionTokens(config, imageSize);
  const block = 2 * t * w * (3 * w) + 2 * 2 * t * t * w + 2 * t * w * w + 2 * 2 * t * w * (r * w);
  const patchEmbed = 2 * (t - 1) * 3 * p * p * w;
  const adapters = adaptedBlocks * 2 * t * w * w;
  const projections = (levels + 1) * 2 * t * w * config.embed_dim;
  return layers * block + patchEmbed + adapters + projections;
}

/** Times one MatMul [m,k]×[k,n] on the backend: two warm-up runs, then the fastest of `runs`. */
export async function measureGemmRate(backend: Backend, session: SessionOptions, m: number, k: number, n: number, runs = 5): Promise<GemmRate> {
  const g = new GraphBuilder('gemm');
  const a = g.input('a', 'F32', [m, k]);
  const weights = new Float32Array(k * n);
  for (let i = 0; i < weights.length; i++) weights[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  const w = g.initializer({ dtype: 'F32', shape: [k, n], data: weights }, 'w');
  g.output(g.matmul(a, w), 'y', 'F32', [m, n]);
  const model = serializeModel(g.build());
  const run = await backend.createSession(model, session);
  try {
    const input = new Float32Array(m * k);
    for (let i = 0; i < input.length; i++) input[i] = ((i * 40503) % 997) / 997 - 0.5;
    const feeds = { a: { dtype: 'F32' as const, shape: [m, k], data: input } };
    for (let i = 0; i < 2; i++) await run.run(feeds);
    let best = Infinity;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await run.run(feeds);
      best = Math.min(best, (performance.now() - t) / 1000);
    }
    return { shape: [m, k, n], gflops: (2 * m * k * n) / best / 1e9, runs };
  } finally {
    await run.dispose();
  }
}
