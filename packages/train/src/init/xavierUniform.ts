import { AaclipError, SeededRandom, type ExpectedShapes, type TensorMap } from '@aaclip/core';

/** √(6 / (fan_in + fan_out)): the half-width of Xavier-uniform. */
export function xavierBound(fanIn: number, fanOut: number): number {
  return Math.sqrt(6 / (fanIn + fanOut));
}

/**
 * PyTorch's `nn.init.xavier_uniform_` (gain 1) for a Linear weight [out, in]: uniform in
 * [−b, b) with b = √(6 / (fan_in + fan_out)), fan_in = in, fan_out = out.
 */
export function xavierUniform(shape: readonly number[], random: SeededRandom): Float32Array {
  if (shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new AaclipError(`Xavier initialisation needs a weight matrix [out, in], got [${shape.join(', ')}]`);
  }
  const [fanOut, fanIn] = shape as [number, number];
  const bound = xavierBound(fanIn, fanOut);
  const out = new Float32Array(fanOut * fanIn);
  for (let i = 0; i < out.length; i++) out[i] = random.uniform(-bound, bound);
  return out;
}

/** The stream a weight's initial values come from: (seed, "xavier-uniform", its key). */
export function xavierStream(seed: number, key: string): SeededRandom {
  return SeededRandom.fromSeed(seed).fork('xavier-uniform').fork(key);
}

/**
 * Fresh adapter weights: Xavier-uniform for each (all are bias-free Linear weights, DESIGN.md).
 * Each weight draws from its own stream, so its values do not depend on which other weights are
 * initialised or in what order.
 */
export function xavierUniformAdapters(shapes: ExpectedShapes, seed: number): TensorMap {
  const out: TensorMap = new Map();
  for (const [key, shape] of shapes) {
    out.set(key, { dtype: 'F32', shape: [...shape], data: xavierUniform(shape, xavierStream(seed, key)) });
  }
  return out;
}
