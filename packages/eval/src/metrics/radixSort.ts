/**
 * Sorts unsigned 32-bit keys ascending, carrying a 32-bit payload along (LSD radix sort, four
 * 8-bit passes, stable; passes where every key has the same byte are skipped). Returns the sorted
 * copies; the inputs are left as they are.
 */
export function radixSortWithPayload(
  keys: Uint32Array,
  payload: Uint32Array,
): { keys: Uint32Array; payload: Uint32Array } {
  const n = keys.length;
  let srcKeys = keys.slice();
  let srcPayload = payload.slice();
  let dstKeys = new Uint32Array(n);
  let dstPayload = new Uint32Array(n);
  const counts = new Uint32Array(256 * 4);
  for (let i = 0; i < n; i++) {
    const k = srcKeys[i]!;
    counts[k & 0xff]!++;
    counts[256 + ((k >>> 8) & 0xff)]!++;
    counts[512 + ((k >>> 16) & 0xff)]!++;
    counts[768 + (k >>> 24)]!++;
  }
  for (let pass = 0; pass < 4; pass++) {
    const base = pass * 256;
    const shift = pass * 8;
    let trivial = false;
    let sum = 0;
    for (let b = 0; b < 256; b++) {
      const c = counts[base + b]!;
      if (c === n) trivial = true;
      counts[base + b] = sum;
      sum += c;
    }
    if (trivial) continue;
    for (let i = 0; i < n; i++) {
      const k = srcKeys[i]!;
      const at = counts[base + ((k >>> shift) & 0xff)]!++;
      dstKeys[at] = k;
      dstPayload[at] = srcPayload[i]!;
    }
    [srcKeys, dstKeys] = [dstKeys, srcKeys];
    [srcPayload, dstPayload] = [dstPayload, srcPayload];
  }
  return { keys: srcKeys, payload: srcPayload };
}
