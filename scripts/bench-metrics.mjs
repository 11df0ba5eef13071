#!/usr/bin/env node
// Benchmark: pixel AUROC + AP over 100 anomaly maps of 518×518 (26.8 M pixels, the size of a
// large MVTec class at the reference's resolution) with random elliptical defect masks. Not a test.
//
//   npm run build && node scripts/bench-metrics.mjs [--maps 100] [--size 518] [--repeat 3] [--check]
//
// --check recomputes both values with an independent method (native float32 sorts of the positive
// and negative scores, then a merge) and prints the differences.
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { binaryMetrics, pixelMetrics } from '../packages/eval/dist/index.js';

const { values } = parseArgs({
  options: {
    maps: { type: 'string', default: '100' },
    size: { type: 'string', default: '518' },
    repeat: { type: 'string', default: '3' },
    check: { type: 'boolean', default: false },
  },
});
const count = Number(values.maps);
const size = Number(values.size);
const plane = size * size;

// xorshift32: reproducible inputs.
let state = 0x2545f491;
const random = () => {
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state / 4294967296;
};

const maps = new Float32Array(count * plane);
const masks = new Uint8Array(count * plane);
for (let i = 0; i < count; i++) {
  const blobs = i % 4 === 0 ? 0 : 1 + Math.floor(random() * 3);
  for (let b = 0; b < blobs; b++) {
    const cx = random() * size, cy = random() * size;
    const rx = 3 + random() * size * 0.12, ry = 3 + random() * size * 0.12;
    for (let y = Math.max(0, Math.floor(cy - ry)); y < Math.min(size, cy + ry); y++) {
      for (let x = Math.max(0, Math.floor(cx - rx)); x < Math.min(size, cx + rx); x++) {
        if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1) masks[i * plane + y * size + x] = 1;
      }
    }
  }
  for (let p = 0; p < plane; p++) maps[i * plane + p] = random() + 0.4 * masks[i * plane + p] * random();
}
const positives = masks.reduce((s, m) => s + m, 0);
console.log(`${count} maps of ${size}×${size} = ${(count * plane / 1e6).toFixed(1)} M pixels, ${(100 * positives / (count * plane)).toFixed(2)} % anomalous`);

let best = Infinity;
let result;
for (let r = 0; r < Number(values.repeat); r++) {
  const t0 = performance.now();
  result = binaryMetrics(maps, masks);
  const seconds = (performance.now() - t0) / 1000;
  best = Math.min(best, seconds);
  console.log(`pixel AUROC + AP (+ F1-max): ${seconds.toFixed(3)} s`);
}
console.log(`best ${best.toFixed(3)} s — AUROC ${result.auroc}, AP ${result.averagePrecision}, F1-max ${result.f1Max}`);

const t1 = performance.now();
const withPro = pixelMetrics(maps, masks, { count, height: size, width: size });
console.log(`pixel AUROC + AP + F1-max + AUPRO: ${((performance.now() - t1) / 1000).toFixed(3)} s — AUPRO ${withPro.aupro}`);

if (values.check) {
  // Independent check: sort each label's scores, walk both from the top, group equal scores.
  const t2 = performance.now();
  const pos = new Float32Array(positives);
  const neg = new Float32Array(maps.length - positives);
  for (let i = 0, a = 0, b = 0; i < maps.length; i++) {
    if (masks[i]) pos[a++] = maps[i]; else neg[b++] = maps[i];
  }
  pos.sort();
  neg.sort();
  let i = pos.length - 1, j = neg.length - 1, tp = 0, fp = 0, area = 0, ap = 0;
  while (i >= 0 || j >= 0) {
    const t = Math.max(i >= 0 ? pos[i] : -Infinity, j >= 0 ? neg[j] : -Infinity);
    const tp0 = tp, fp0 = fp;
    while (i >= 0 && pos[i] === t) { tp++; i--; }
    while (j >= 0 && neg[j] === t) { fp++; j--; }
    area += (fp - fp0) * (tp + tp0) / 2;
    ap += (tp - tp0) * (tp / (tp + fp));
  }
  const aurocCheck = area / pos.length / neg.length;
  const apCheck = ap / pos.length;
  console.log(`check (native sorts + merge, ${((performance.now() - t2) / 1000).toFixed(1)} s): |ΔAUROC| ${Math.abs(aurocCheck - result.auroc)}, |ΔAP| ${Math.abs(apCheck - result.averagePrecision)}`);
}
