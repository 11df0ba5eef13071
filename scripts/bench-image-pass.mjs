#!/usr/bin/env node
// Benchmark of the product path: seconds per image and memory of AA-CLIP on ViT-L-14-336 run at
// 518×518 (adapters on), with random weights. Not a test.
//
//   npm run build && node scripts/bench-image-pass.mjs [--device cpu] [--images 3] [--image-size 518] [--plain] [--precision fp32|fp16|int8] [--rewrites on|off]
//
// What it runs is what `aaclip detect` runs: random full ViT-L-14-336 weights (vision and text
// towers) and AA-CLIP adapters are written once as safetensors files (in a child process, so that
// writing them does not count towards this process's peak memory), then read back with
// `loadModelFiles`, an `AnomalyDetector` is created (build + load of both towers), the anchors of
// one class are computed, and `detect()` scores a preprocessed image: one warm-up run, then the
// mean of `--images` runs. Random weights make the numbers meaningless as detection but exact as
// cost: the graph and every tensor shape are those of the real model.
//
// Prints JSON: seconds per image, model build + load seconds, RSS after each phase and the peak
// RSS of the process (getrusage maxrss), with the load average before and after (the machine is
// shared; a busy machine makes the timings slower).
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const scriptPath = fileURLToPath(import.meta.url);
const repoRoot = path.resolve(path.dirname(scriptPath), '..');
const sharedDir = process.env.AACLIP_SHARED ?? path.resolve(repoRoot, '../shared');

const { values } = parseArgs({
  options: {
    device: { type: 'string', default: 'cpu' },
    backend: { type: 'string', default: 'node' },
    images: { type: 'string', default: '3' },
    'image-size': { type: 'string', default: '518' },
    plain: { type: 'boolean', default: false },
    // on: the graph rewrites the device declares (fused attention, GELU); off: plain ONNX ops.
    rewrites: { type: 'string', default: 'on' },
    precision: { type: 'string', default: 'fp32' },
    'model-dir': { type: 'string', default: path.join(os.tmpdir(), 'aaclip-bench-vit-l-14-336') },
    generate: { type: 'boolean', default: false },
  },
});

// open_clip's ViT-L-14-336 (the AA-CLIP backbone).
const config = {
  embed_dim: 768,
  vision_cfg: { image_size: 336, layers: 24, width: 1024, patch_size: 14, head_width: 64, mlp_ratio: 4 },
  text_cfg: { context_length: 77, vocab_size: 49408, width: 768, heads: 12, layers: 12, mlp_ratio: 4 },
  quick_gelu: false,
};
// The paper's adapter layout (AaclipSettings defaults): image adapters on blocks 0–5, four taps,
// text adapters on blocks 0–2 plus the adapted projection.
const IMAGE_ADAPT_UNTIL = 6;
const LEVELS = 4;
const TEXT_ADAPT_UNTIL = 3;

const modelDir = values['model-dir'];
const files = {
  modelConfig: path.join(modelDir, 'ViT-L-14-336.json'),
  weights: path.join(modelDir, 'open_clip_model.safetensors'),
  adapters: path.join(modelDir, 'aaclip_adapters.safetensors'),
  done: path.join(modelDir, 'complete-v1'),
};

/** [name, shape, kind] of every tensor: kind 'ones' (LayerNorm gains) or 'random'. */
function clipTensorList() {
  const list = [];
  const block = (prefix, width, mlpRatio) => {
    const hidden = width * mlpRatio;
    list.push([`${prefix}.ln_1.weight`, [width], 'ones'], [`${prefix}.ln_1.bias`, [width], 'random']);
    list.push([`${prefix}.attn.in_proj_weight`, [3 * width, width], 'random'], [`${prefix}.attn.in_proj_bias`, [3 * width], 'random']);
    list.push([`${prefix}.attn.out_proj.weight`, [width, width], 'random'], [`${prefix}.attn.out_proj.bias`, [width], 'random']);
    list.push([`${prefix}.ln_2.weight`, [width], 'ones'], [`${prefix}.ln_2.bias`, [width], 'random']);
    list.push([`${prefix}.mlp.c_fc.weight`, [hidden, width], 'random'], [`${prefix}.mlp.c_fc.bias`, [hidden], 'random']);
    list.push([`${prefix}.mlp.c_proj.weight`, [width, hidden], 'random'], [`${prefix}.mlp.c_proj.bias`, [width], 'random']);
  };
  const v = config.vision_cfg;
  const grid = v.image_size / v.patch_size;
  list.push(['visual.class_embedding', [v.width], 'random'], ['visual.positional_embedding', [grid * grid + 1, v.width], 'random']);
  list.push(['visual.proj', [v.width, config.embed_dim], 'random'], ['visual.conv1.weight', [v.width, 3, v.patch_size, v.patch_size], 'random']);
  list.push(['visual.ln_pre.weight', [v.width], 'ones'], ['visual.ln_pre.bias', [v.width], 'random']);
  for (let i = 0; i < v.layers; i++) block(`visual.transformer.resblocks.${i}`, v.width, v.mlp_ratio);
  list.push(['visual.ln_post.weight', [v.width], 'ones'], ['visual.ln_post.bias', [v.width], 'random']);
  const t = config.text_cfg;
  list.push(['positional_embedding', [t.context_length, t.width], 'random'], ['text_projection', [t.width, config.embed_dim], 'random']);
  list.push(['token_embedding.weight', [t.vocab_size, t.width], 'random'], ['logit_scale', [], 'ones']);
  for (let i = 0; i < t.layers; i++) block(`transformer.resblocks.${i}`, t.width, t.mlp_ratio);
  list.push(['ln_final.weight', [t.width], 'ones'], ['ln_final.bias', [t.width], 'random']);
  return list;
}

function adapterTensorList() {
  const { width: vw } = config.vision_cfg;
  const { width: tw } = config.text_cfg;
  const e = config.embed_dim;
  const list = [];
  for (let i = 0; i < TEXT_ADAPT_UNTIL; i++) list.push([`text_adapter.${i}.fc.0.weight`, [tw, tw], 'random']);
  list.push([`text_adapter.${TEXT_ADAPT_UNTIL}.fc.0.weight`, [e, tw], 'random']);
  for (let i = 0; i < IMAGE_ADAPT_UNTIL; i++) list.push([`image_adapter.layer_adapters.${i}.fc.0.weight`, [vw, vw], 'random']);
  for (let k = 0; k < LEVELS; k++) list.push([`image_adapter.seg_proj.${k}.fc.weight`, [e, vw], 'random']);
  list.push(['image_adapter.det_proj.fc.weight', [e, vw], 'random']);
  return list;
}

// A small xorshift generator: uniform values in ±0.02, reproducible across runs.
let state = 0x9e3779b9;
function fillRandom(data, scale = 0.02) {
  for (let i = 0; i < data.length; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    data[i] = (state / 4294967296 - 0.5) * 2 * scale;
  }
}

/** Writes a safetensors file tensor by tensor (never more than one tensor in memory). */
function writeRandomSafetensors(file, list) {
  const header = {};
  let offset = 0;
  for (const [name, shape] of list) {
    const bytes = shape.reduce((a, b) => a * b, 1) * 4;
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const prefix = Buffer.alloc(8 + padded, 0x20);
  prefix.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(prefix, 8);
  const partial = `${file}.partial`;
  const fd = openSync(partial, 'w');
  try {
    writeSync(fd, prefix);
    for (const [, shape, kind] of list) {
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      if (kind === 'ones') data.fill(1);
      else fillRandom(data);
      writeSync(fd, new Uint8Array(data.buffer));
    }
  } finally {
    closeSync(fd);
  }
  renameSync(partial, file);
}

if (values.generate) {
  mkdirSync(modelDir, { recursive: true });
  writeFileSync(files.modelConfig, JSON.stringify(config, null, 2));
  writeRandomSafetensors(files.weights, clipTensorList());
  writeRandomSafetensors(files.adapters, adapterTensorList());
  writeFileSync(files.done, 'random ViT-L-14-336 weights and AA-CLIP adapters for scripts/bench-image-pass.mjs\n');
  process.exit(0);
}

if (!existsSync(files.done)) {
  console.error(`writing random ViT-L-14-336 weights to ${modelDir} (once) ...`);
  const child = spawnSync(process.execPath, [scriptPath, '--generate', '--model-dir', modelDir], { stdio: 'inherit' });
  if (child.status !== 0) process.exit(child.status ?? 1);
}

const { AnomalyDetector } = await import('@aaclip/core');
const { loadModelFiles } = await import('@aaclip/backend-node');

const mib = (bytes) => Math.round(bytes / 1024 / 1024);
const rssMiB = () => mib(process.memoryUsage().rss);
const seconds = (start) => +((performance.now() - start) / 1000).toFixed(3);
const loadBefore = os.loadavg().map((l) => +l.toFixed(2));
const rss = { start: rssMiB() };

const imageSize = Number(values['image-size']);
const images = Number(values.images);

// As `aaclip detect` does, the loaded model goes straight into the detector and is not kept.
let readFilesSeconds = 0;
let t = performance.now();
async function readModel() {
  const model = await loadModelFiles({
    modelConfig: files.modelConfig,
    weights: files.weights,
    adapters: values.plain ? [] : [files.adapters],
    vocab: path.join(sharedDir, 'clip/bpe_simple_vocab_16e6.txt.gz'),
  });
  readFilesSeconds = seconds(t);
  rss.filesRead = rssMiB();
  return model;
}

const rewrites = values.rewrites !== 'off';
const stages = {};
let t1 = 0;
const detector = await AnomalyDetector.create(await readModel(), {
  settings: { imageSize },
  backend: values.backend,
  device: values.device,
  rewrites,
  precision: values.precision,
  onProgress: (stage) => {
    t1 ||= performance.now();
    stages[stage] = { seconds: seconds(t1), rssMiB: rssMiB() };
  },
});
const buildAndLoadSeconds = seconds(t1);
rss.detectorReady = rssMiB();

t = performance.now();
await detector.anchors('dark bottle');
const anchorsSeconds = seconds(t);
rss.anchors = rssMiB();

// A synthetic 640×480 RGB photo, preprocessed once as the pipeline does (bicubic resize to S, CLIP normalisation).
const photo = new Uint8Array(640 * 480 * 3);
for (let i = 0; i < photo.length; i++) photo[i] = (i * 2654435761) >>> 24;
const pixels = detector.preprocess({ width: 640, height: 480, channels: 3, bitDepth: 8, data: photo });

t = performance.now();
const [warm] = await detector.detect([pixels], 'dark bottle');
const warmUpSeconds = seconds(t);
rss.warmUp = rssMiB();
const runs = [];
// CPU seconds of this process over the timed runs: about 2× the wall time when both cores were
// ours, less when other work on the machine took them.
const cpuStart = process.cpuUsage();
for (let i = 0; i < images; i++) {
  t = performance.now();
  await detector.detect([pixels], 'dark bottle');
  runs.push(seconds(t));
}
const cpu = process.cpuUsage(cpuStart);
rss.afterRuns = rssMiB();
await detector.dispose();

console.log(JSON.stringify({
  model: 'ViT-L-14-336',
  imageSize,
  adapters: !values.plain,
  rewrites,
  precision: values.precision,
  backend: detector.backend.name,
  device: detector.device,
  secondsPerImage: +(runs.reduce((a, b) => a + b, 0) / runs.length).toFixed(3),
  fastestRunSeconds: Math.min(...runs),
  cpuSecondsPerImage: +((cpu.user + cpu.system) / 1e6 / runs.length).toFixed(3),
  runs,
  warmUpSeconds,
  readFilesSeconds,
  modelBuildAndLoadSeconds: buildAndLoadSeconds,
  anchorsSeconds,
  setupStages: stages,
  rssMiB: rss,
  peakRssMiB: mib(process.resourceUsage().maxRSS * 1024),
  imageScore: +warm.imageScore.toFixed(6),
  loadAverage: { before: loadBefore, after: os.loadavg().map((l) => +l.toFixed(2)) },
  cpus: os.cpus().length,
  node: process.versions.node,
}, null, 2));
