// Inverse-affine resampling of square planes with nearest-neighbour sampling and zero fill, the way
// torchvision's tensor `rotate` / `affine` compute it (`_gen_affine_grid` + `grid_sample`,
// align_corners=False, fill 0):
//  - the output pixel (row i, column j) sits at x = j − (S−1)/2, y = i − (S−1)/2: pixel centres,
//    measured from the image centre, y pointing down;
//  - the inverse matrix maps it to the source point (x', y'), read at column x' + (S−1)/2 and row
//    y' + (S−1)/2 (torchvision divides by S/2 and grid_sample multiplies back, which cancels);
//  - nearest = round half to even (grid_sample's nearbyint), and a source index outside 0..S−1
//    gives 0 in every channel (for the mask too).
// torchvision computes the grid in float32; this computes it in float64, so a source point within
// float32 noise of a half-pixel boundary may round the other way (never with the integer shifts of
// translation or the exact quarter turns).

/** Row-major [a, b, c, d, e, f]: x' = a·x + b·y + c, y' = d·x + e·y + f (centred pixel coordinates). */
export type InverseAffine = readonly [number, number, number, number, number, number];

/**
 * The inverse map of torchvision's `rotate(img, degrees)`: about the centre, positive degrees turn
 * the content counter-clockwise as displayed (y down). torchvision passes −angle to
 * `_get_inverse_affine_matrix`, which gives [cos θ, −sin θ, 0, sin θ, cos θ, 0].
 */
export function rotationInverse(degrees: number): InverseAffine {
  const theta = (degrees * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  return [cos, -sin, 0, sin, cos, 0];
}

/** The inverse map of torchvision's `affine(img, angle=0, translate=[dx, dy])`: content moves dx right, dy down. */
export function translationInverse(dx: number, dy: number): InverseAffine {
  return [1, 0, -dx, 0, 1, -dy];
}

/** Rounds half to even, like C's nearbyint in the default rounding mode. */
export function roundHalfToEven(value: number): number {
  const rounded = Math.round(value); // halves go up here
  return rounded - value === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
}

/**
 * Resamples `channels` planes of size×size (CHW, row-major) through `inverse`; returns new planes.
 */
export function resampleAffineNearest(planes: Float32Array, channels: number, size: number, inverse: InverseAffine): Float32Array {
  const area = size * size;
  const out = new Float32Array(channels * area);
  const [a, b, c, d, e, f] = inverse;
  const centre = (size - 1) / 2;
  for (let i = 0; i < size; i++) {
    const y = i - centre;
    for (let j = 0; j < size; j++) {
      const x = j - centre;
      const sourceColumn = roundHalfToEven(a * x + b * y + c + centre);
      const sourceRow = roundHalfToEven(d * x + e * y + f + centre);
      if (sourceColumn < 0 || sourceColumn >= size || sourceRow < 0 || sourceRow >= size) continue; // zero fill
      const from = sourceRow * size + sourceColumn;
      const to = i * size + j;
      for (let ch = 0; ch < channels; ch++) out[ch * area + to] = planes[ch * area + from]!;
    }
  }
  return out;
}
