import { hashInts } from '../random/seededRandom.js';

const lattice = (ix: number, iy: number, seed: number): number => hashInts(ix, iy, seed) / 4294967296;
const smooth = (t: number): number => t * t * (3 - 2 * t);

/** Smooth value noise in [0, 1): random values on the integer lattice, eased in between. */
export function valueNoise(x: number, y: number, seed: number): number {
  const ix = Math.floor(x);
  const iy = Math.floor(y);
  const fx = smooth(x - ix);
  const fy = smooth(y - iy);
  const top = lattice(ix, iy, seed) * (1 - fx) + lattice(ix + 1, iy, seed) * fx;
  const bottom = lattice(ix, iy + 1, seed) * (1 - fx) + lattice(ix + 1, iy + 1, seed) * fx;
  return top * (1 - fy) + bottom * fy;
}

/** Fractal noise in [0, 1): `octaves` layers of value noise, each twice the frequency and half the weight. */
export function fractalNoise(x: number, y: number, seed: number, octaves = 4): number {
  let sum = 0;
  let weight = 0;
  let amplitude = 1;
  let frequency = 1;
  for (let o = 0; o < octaves; o++) {
    sum += valueNoise(x * frequency, y * frequency, seed + o * 1013) * amplitude;
    weight += amplitude;
    amplitude /= 2;
    frequency *= 2;
  }
  return sum / weight;
}
