// Float32 scores as unsigned 32-bit keys whose integer order is the numeric order of the scores,
// so scores can be grouped and ordered with integer histograms instead of a comparison sort.

const floatView = new Float32Array(1);
const bitsView = new Uint32Array(floatView.buffer);

/** Bit pattern of -0 as a float32; it is mapped to the key of +0 (scikit-learn treats them as one value). */
export const NEGATIVE_ZERO_BITS = 0x80000000;

/**
 * The order-preserving key of float32 bits: negative numbers have all bits flipped, non-negative
 * ones get the sign bit set. -0 must be canonicalised to +0 by the caller (see `keyOfBits`).
 */
export function keyOfBits(bits: number): number {
  if (bits === NEGATIVE_ZERO_BITS) bits = 0;
  return (bits & 0x80000000 ? ~bits : bits | 0x80000000) >>> 0;
}

/** True for the bit pattern of a float32 NaN. */
export function isNaNBits(bits: number): boolean {
  return (bits & 0x7fffffff) > 0x7f800000;
}

/** The float32 value a key stands for. */
export function scoreOfKey(key: number): number {
  bitsView[0] = key & 0x80000000 ? key & 0x7fffffff : ~key >>> 0;
  return floatView[0]!;
}

/** The key of a number after rounding it to float32. */
export function keyOfScore(score: number): number {
  floatView[0] = score;
  return keyOfBits(bitsView[0]!);
}
