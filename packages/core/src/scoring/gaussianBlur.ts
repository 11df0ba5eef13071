import { AaclipError } from '../errors/aaclipError.js';

/** Gaussian smoothing parameters (industrial: kernel 7, σ 1; medical: kernel 9, σ 1.5 in the reference). */
export interface GaussianBlurParams {
  /** Odd number of taps. */
  readonly kernelSize: number;
  readonly sigma: number;
}

function checkParams({ kernelSize: kernel, sigma }: GaussianBlurParams): void {
  if (!Number.isInteger(kernel) || kernel < 1 || kernel % 2 === 0) {
    throw new AaclipError(`must be a positive odd integer, got ${kernel}`, 'blur kernel');
  }
  if (!Number.isFinite(sigma) || sigma <= 0) throw new AaclipError(`must be a positive number, got ${sigma}`, 'blur sigma');
}

/** Normalised 1-D Gaussian taps at offsets −⌊k/2⌋ … ⌊k/2⌋. */
export function gaussianKernel1d(params: GaussianBlurParams): Float64Array {
  checkParams(params);
  const { kernelSize: kernel, sigma } = params;
  const half = (kernel - 1) / 2;
  const taps = new Float64Array(kernel);
  let sum = 0;
  for (let i = 0; i < kernel; i++) {
    const x = (i - half) / sigma;
    taps[i] = Math.exp(-0.5 * x * x);
    sum += taps[i]!;
  }
  for (let i = 0; i < kernel; i++) taps[i]! /= sum;
  return taps;
}

/**
 * Mirror index without repeating the edge sample (PyTorch's 'reflect' padding: …, 2, 1 | 0, 1, 2, …).
 * PyTorch refuses padding ≥ the axis length; here the reflection simply repeats (period 2(n − 1)),
 * so small grids still blur.
 */
export function reflectIndex(p: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let q = p % period;
  if (q < 0) q += period;
  return q < n ? q : period - q;
}

/** For each output position × tap, the source index after reflection: [n, kernel]. */
function reflectTable(n: number, kernel: number): Int32Array {
  const half = (kernel - 1) / 2;
  const table = new Int32Array(n * kernel);
  for (let i = 0; i < n; i++) for (let t = 0; t < kernel; t++) table[i * kernel + t] = reflectIndex(i + t - half, n);
  return table;
}

/**
 * Separable Gaussian blur of a single-channel [height, width] map with reflect borders — the same
 * result as convolving with the 2-D outer-product kernel over a reflect-padded map, as the reference
 * does. Writes into `out` when given (may not alias `src`); `scratch` ([height, width]) avoids an
 * allocation when blurring many maps.
 */
export function gaussianBlur(
  src: Float32Array,
  height: number,
  width: number,
  params: GaussianBlurParams,
  out?: Float32Array,
  scratch?: Float32Array,
): Float32Array {
  checkParams(params);
  if (!Number.isInteger(height) || height < 1 || !Number.isInteger(width) || width < 1) {
    throw new AaclipError(`size ${height}×${width} is not a positive integer size`, 'blur input');
  }
  const n = height * width;
  if (src.length !== n) throw new AaclipError(`has ${src.length} values, expected ${height}×${width}`, 'blur input');
  const dst = out ?? new Float32Array(n);
  const tmp = scratch ?? new Float32Array(n);
  if (dst.length !== n || tmp.length !== n) throw new AaclipError(`buffers must hold ${n} values`, 'blur output');
  if (dst === src || tmp === src || tmp === dst) throw new AaclipError('input, output and scratch must be distinct buffers', 'blur output');

  const k = params.kernelSize;
  const taps = gaussianKernel1d(params);
  const cols = reflectTable(width, k);
  const rows = reflectTable(height, k);
  // Horizontal pass.
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const ix = x * k;
      let acc = 0;
      for (let t = 0; t < k; t++) acc += taps[t]! * src[row + cols[ix + t]!]!;
      tmp[row + x] = acc;
    }
  }
  // Vertical pass.
  for (let y = 0; y < height; y++) {
    const iy = y * k;
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let t = 0; t < k; t++) acc += taps[t]! * tmp[rows[iy + t]! * width + x]!;
      dst[row + x] = acc;
    }
  }
  return dst;
}
