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
import { existsSync } from 'node:fs';
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

const modelDir = values['model-dir'];
const files = {
  modelConfig: path.join(modelDir, 'ViT-L-14-336.json'),
  weights: path.join(modelDir, 'open_clip_model.safetensors'),
  adapters: path.join(modelDir, 'aaclip_adapters.safetensors'),
  done: path.join(modelDir, 'complete-v1'),
};

if (values.generate) {
  // The same random model `aaclip bench --random vit-l-14-336` writes (one generator for both).
  const { randomModelFiles } = await import('@aaclip/cli');
  randomModelFiles('vit-l-14-336', modelDir, undefined, path.basename(files.modelConfig));
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
