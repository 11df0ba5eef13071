import { AaclipError } from '@aaclip/core';

/** 8: pixels touching at a corner belong to one region (anomalib's and MVTec AD's choice); 4: edges only. */
export type Connectivity = 4 | 8;

export interface ComponentLabels {
  /** Per pixel: 0 for background, else the 1-based region index. */
  readonly labels: Int32Array;
  readonly count: number;
  /** areas[k - 1] is the pixel count of region k. */
  readonly areas: Uint32Array;
}

/**
 * Labels the connected regions of the non-zero pixels of a height×width mask (flood fill with an
 * explicit queue; each pixel is visited once).
 */
export function connectedComponents(
  mask: Uint8Array,
  width: number,
  height: number,
  connectivity: Connectivity = 8,
): ComponentLabels {
  if (mask.length !== width * height) {
    throw new AaclipError(`mask has ${mask.length} pixels, ${width}×${height} needs ${width * height}`, 'mask');
  }
  if (connectivity !== 4 && connectivity !== 8) {
    throw new AaclipError(`connectivity must be 4 or 8, got ${String(connectivity)}`, 'connectivity');
  }
  const labels = new Int32Array(width * height);
  const queue = new Int32Array(width * height);
  const areas: number[] = [];
  let count = 0;
  for (let start = 0; start < mask.length; start++) {
    if (mask[start] === 0 || labels[start] !== 0) continue;
    const label = ++count;
    labels[start] = label;
    queue[0] = start;
    let head = 0;
    let tail = 1;
    while (head < tail) {
      const p = queue[head++]!;
      const x = p % width;
      const y = (p - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          if (dx === 0 && dy === 0) continue;
          if (connectivity === 4 && dx !== 0 && dy !== 0) continue;
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (mask[q] === 0 || labels[q] !== 0) continue;
          labels[q] = label;
          queue[tail++] = q;
        }
      }
    }
    areas.push(tail);
  }
  return { labels, count, areas: Uint32Array.from(areas) };
}
