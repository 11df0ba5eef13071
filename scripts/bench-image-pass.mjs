#!/usr/bin/env node
// Benchmark: seconds per image and peak memory of the AA-CLIP image pass (ViT-L-14-336 run at
// 518×518, adapters on) with random weights, on a chosen backend/device. Not a test.
//
//   npm run build && node scripts/bench-image-pass.mjs [--device cpu] [--images 3] [--image-size 518]
//
// Random weights make the numbers meaningless as detection but exact as cost: the graph and the
// tensor shapes are those of the real model.
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { buildVisionModel, parseAaclipSettings, resolveBackend } from '@aaclip/core';
import '@aaclip/backend-node';

const { values } = parseArgs({
  options: {
    device: { type: 'string', default: 'cpu' },
    backend: { type: 'string', default: 'node' },
    images: { type: 'string', default: '3' },
    'image-size': { type: 'string', default: '518' },
    plain: { type: 'boolean', default: false },
  },
});
const imageSize = Number(values['image-size']);
const images = Number(values.images);

// open_clip's ViT-L-14-336 (the AA-CLIP backbone).
const config = {
  embed_dim: 768,
  vision_cfg: { image_size: 336, layers: 24, width: 1024, patch_size: 14, head_width: 64, mlp_ratio: 4 },
  text_cfg: { context_length: 77, vocab_size: 49408, width: 768, heads: 12, layers: 12, mlp_ratio: 4 },
  quick_gelu: false,
};

// A small xorshift generator: uniform values in ±scale, reproducible across runs.
let state = 0x9e3779b9;
function randomTensor(shape, scale = 0.02) {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    data[i] = (state / 4294967296 - 0.5) * 2 * scale;
  }
  return { dtype: 'F32', shape, data };
}
const ones = (n) => ({ dtype: 'F32', shape: [n], data: new Float32Array(n).fill(1) });

function visionWeights() {
  const v = config.vision_cfg;
  const w = v.width;
  const hidden = w * v.mlp_ratio;
  const grid = v.image_size / v.patch_size;
  const m = new Map();
  m.set('visual.conv1.weight', randomTensor([w, 3, v.patch_size, v.patch_size]));
  m.set('visual.class_embedding', randomTensor([w]));
  m.set('visual.positional_embedding', randomTensor([grid * grid + 1, w]));
  m.set('visual.ln_pre.weight', ones(w));
  m.set('visual.ln_pre.bias', randomTensor([w]));
  for (let i = 0; i < v.layers; i++) {
    const p = `visual.transformer.resblocks.${i}.`;
    m.set(p + 'ln_1.weight', ones(w));
    m.set(p + 'ln_1.bias', randomTensor([w]));
    m.set(p + 'attn.in_proj_weight', randomTensor([3 * w, w]));
    m.set(p + 'attn.in_proj_bias', randomTensor([3 * w]));
    m.set(p + 'attn.out_proj.weight', randomTensor([w, w]));
    m.set(p + 'attn.out_proj.bias', randomTensor([w]));
    m.set(p + 'ln_2.weight', ones(w));
    m.set(p + 'ln_2.bias', randomTensor([w]));
    m.set(p + 'mlp.c_fc.weight', randomTensor([hidden, w]));
    m.set(p + 'mlp.c_fc.bias', randomTensor([hidden]));
    m.set(p + 'mlp.c_proj.weight', randomTensor([w, hidden]));
    m.set(p + 'mlp.c_proj.bias', randomTensor([w]));
  }
  m.set('visual.ln_post.weight', ones(w));
  m.set('visual.ln_post.bias', randomTensor([w]));
  m.set('visual.proj', randomTensor([w, config.embed_dim]));
  return m;
}

function imageAdapters(settings) {
  const w = config.vision_cfg.width;
  const e = config.embed_dim;
  const m = new Map();
  for (let i = 0; i < settings.imageAdaptUntil; i++) m.set(`image_adapter.layer_adapters.${i}.fc.0.weight`, randomTensor([w, w]));
  for (let k = 0; k < settings.levels.length; k++) m.set(`image_adapter.seg_proj.${k}.fc.weight`, randomTensor([e, w]));
  m.set('image_adapter.det_proj.fc.weight', randomTensor([e, w]));
  return m;
}

const mib = (bytes) => (bytes / 1024 / 1024).toFixed(0);
const settings = parseAaclipSettings({ imageSize }, 'bench');
const t0 = performance.now();
const weights = visionWeights();
const adapters = values.plain ? null : imageAdapters(settings);
const built = buildVisionModel(config, weights, adapters, settings);
const { backend, device } = await resolveBackend({ backend: values.backend, device: values.device });
const session = await backend.createSession(built, { device });
const loadSeconds = (performance.now() - t0) / 1000;

const pixels = randomTensor([1, 3, imageSize, imageSize], 1);
const times = [];
for (let i = 0; i < images + 1; i++) {
  const start = performance.now();
  await session.run({ pixel_values: pixels });
  times.push((performance.now() - start) / 1000);
}
await session.dispose();
const steady = times.slice(1);
const mean = steady.reduce((a, b) => a + b, 0) / steady.length;
const peak = process.resourceUsage().maxRSS * 1024;
console.log(JSON.stringify({
  model: 'ViT-L-14-336', imageSize, adapters: !values.plain, backend: backend.name, device,
  modelBuildAndLoadSeconds: +loadSeconds.toFixed(2), firstRunSeconds: +times[0].toFixed(3),
  secondsPerImage: +mean.toFixed(3), runs: steady.map((t) => +t.toFixed(3)), peakRssMiB: +mib(peak),
}, null, 2));
