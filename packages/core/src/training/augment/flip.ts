// Mirror flips of CHW planes (torchvision's hflip / vflip): exact index permutations.

/** Mirrors each of the `channels` planes of size×size left–right; returns new planes. */
export function flipHorizontal(planes: Float32Array, channels: number, size: number): Float32Array {
  const out = new Float32Array(planes.length);
  for (let row = 0; row < channels * size; row++) {
    const start = row * size;
    for (let j = 0; j < size; j++) out[start + j] = planes[start + size - 1 - j]!;
  }
  return out;
}

/** Mirrors each of the `channels` planes of size×size top–bottom; returns new planes. */
export function flipVertical(planes: Float32Array, channels: number, size: number): Float32Array {
  const out = new Float32Array(planes.length);
  const area = size * size;
  for (let ch = 0; ch < channels; ch++) {
    for (let i = 0; i < size; i++) {
      const to = ch * area + i * size;
      const from = ch * area + (size - 1 - i) * size;
      out.set(planes.subarray(from, from + size), to);
    }
  }
  return out;
}
