import { AaclipError } from '@aaclip/core';

export interface ValueRange {
  readonly min: number;
  readonly max: number;
}

/**
 * Min–max normalises float32 values in place with float32 arithmetic, as the reference does it in
 * NumPy on float32 arrays: v ← fround(fround(v − min) / fround(max − min)), so ties and values
 * match the reference bit for bit.
 *
 * Reference behaviour kept: values whose maximum is exactly 1 are left unchanged (the reference
 * tests `max != 1` before normalising). All-equal values (max = min, a 0/0 in the reference) become 0.
 * A NaN or infinite value is an error naming `source` and the value's index (see `describeIndex`).
 */
export function minMaxNormaliseInPlace(
  values: Float32Array,
  source: string,
  describeIndex: (index: number) => string = (i) => `value ${i}`,
): ValueRange {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      throw new AaclipError(`${describeIndex(i)} is ${Number.isNaN(v) ? 'NaN' : 'infinite'}`, source);
    }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (values.length === 0 || max === 1) return { min, max };
  if (max === min) {
    values.fill(0);
    return { min, max };
  }
  const range = Math.fround(max - min);
  for (let i = 0; i < values.length; i++) values[i] = Math.fround(values[i]! - min) / range;
  return { min, max };
}
