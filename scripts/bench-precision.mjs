#!/usr/bin/env node
// Benchmark of the precisions: AA-CLIP on ViT-L-14-336 run at 518×518 (adapters on) with random
// weights, on a small synthetic defect set, once per precision. Not a test.
//
//   npm run build && node scripts/bench-precision.mjs [--precisions fp32,int8,fp16] [--images 2] [--image-size 518] [--device cpu]
//
// The random weights are those of scripts/bench-image-pass.mjs (written once to the same folder).
// The images are a synthetic MVTec-layout class from @aaclip/datasets (`--images` per folder:
// test/good and each test/<defect>). Each precision runs in its own process (so each peak RSS is
// its own): create the detector (build + load), the anchors, one warm-up image, then every image
// timed. The parent then compares each precision with fp32: per-image anomaly-map Pearson
// correlation and max absolute difference, image-score rank agreement (Spearman), and AUROC.
// Random weights make AUROC meaningless as detection (it hovers around chance); it is printed only
// to show that the precisions agree — the agreement figures are the ones that count.
//
// Prints JSON. The machine may be shared: the load average before and after is in the output.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
    precisions: { type: 'string', default: 'fp32,int8,fp16' },
    images: { type: 'string', default: '2' },
    'image-size': { type: 'string', default: '518' },
    device: { type: 'string', default: 'cpu' },
    backend: { type: 'string', default: 'node' },
    'model-dir': { type: 'string', default: path.join(os.tmpdir(), 'aaclip-bench-vit-l-14-336') },
    // Internal: run one precision and write its results.
    worker: { type: 'string' },
    'data-dir': { type: 'string' },
    out: { type: 'string' },
  },
});

const modelDir = values['model-dir'];
const files = {
  modelConfig: path.join(modelDir, 'ViT-L-14-336.json'),
  weights: path.join(modelDir, 'open_clip_model.safetensors'),
  adapters: path.join(modelDir, 'aaclip_adapters.safetensors'),
  done: path.join(modelDir, 'complete-v1'),
};
const imageSize = Number(values['image-size']);
const seconds = (start) => +((performance.now() - start) / 1000).toFixed(3);
const mib = (bytes) => Math.round(bytes / 1024 / 1024);

/** The synthetic test images of the one class, with labels (0 good, 1 defect). */
function testImages(dataDir) {
  const [className] = readdirSync(dataDir).filter((d) => !d.startsWith('.'));
  const testDir = path.join(dataDir, className, 'test');
  const images = [];
  for (const folder of readdirSync(testDir).sort()) {
    for (const file of readdirSync(path.join(testDir, folder)).sort()) {
      images.push({ path: path.join(testDir, folder, file), label: folder === 'good' ? 0 : 1 });
    }
  }
  return images;
}

if (values.worker) {
  const precision = values.worker;
  const { AnomalyDetector } = await import('@aaclip/core');
  const { loadModelFiles, decodeImageFile } = await import('@aaclip/backend-node');
  const images = testImages(values['data-dir']);
  let t = performance.now();
  const model = await loadModelFiles({
    modelConfig: files.modelConfig,
    weights: files.weights,
    adapters: [files.adapters],
    vocab: path.join(sharedDir, 'clip/bpe_simple_vocab_16e6.txt.gz'),
  });
  const readSeconds = seconds(t);
  t = performance.now();
  const detector = await AnomalyDetector.create(model, { settings: { imageSize }, backend: values.backend, device: values.device, precision });
  const buildAndLoadSeconds = seconds(t);
  const prompt = 'dark bottle';
  t = performance.now();
  await detector.anchors(prompt);
  const anchorsSeconds = seconds(t);
  const pixels = [];
  for (const image of images) pixels.push(detector.preprocess(await decodeImageFile(image.path)));
  t = performance.now();
  await detector.detect([pixels[0]], prompt);
  const warmUpSeconds = seconds(t);
  const maps = new Float32Array(images.length * imageSize * imageSize);
  const scores = [];
  const runs = [];
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < pixels.length; i++) {
    t = performance.now();
    const [detection] = await detector.detect([pixels[i]], prompt);
    runs.push(seconds(t));
    maps.set(detection.anomalyMap, i * imageSize * imageSize);
    scores.push(detection.imageScore);
  }
  const cpu = process.cpuUsage(cpuStart);
  await detector.dispose();
  writeFileSync(`${values.out}.maps`, new Uint8Array(maps.buffer));
  writeFileSync(values.out, JSON.stringify({
    precision,
    secondsPerImage: +(runs.reduce((a, b) => a + b, 0) / runs.length).toFixed(3),
    fastestRunSeconds: Math.min(...runs),
    cpuSecondsPerImage: +((cpu.user + cpu.system) / 1e6 / runs.length).toFixed(3),
    readFilesSeconds: readSeconds,
    modelBuildAndLoadSeconds: buildAndLoadSeconds,
    anchorsSeconds,
    warmUpSeconds,
    peakRssMiB: mib(process.resourceUsage().maxRSS * 1024),
    scores,
  }));
  process.exit(0);
}

if (!existsSync(files.done)) {
  console.error(`writing random ViT-L-14-336 weights to ${modelDir} (once) ...`);
  const child = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/bench-image-pass.mjs'), '--generate', '--model-dir', modelDir], { stdio: 'inherit' });
  if (child.status !== 0) process.exit(child.status ?? 1);
}

const { synthesizeDataset } = await import('@aaclip/datasets');
const { auroc } = await import('@aaclip/eval');
const work = mkdtempSync(path.join(os.tmpdir(), 'aaclip-bench-precision-'));
const loadBefore = os.loadavg().map((l) => +l.toFixed(2));
try {
  const dataDir = path.join(work, 'synthetic');
  await synthesizeDataset(dataDir, { classes: 1, images: Number(values.images), seed: 7, size: 256 });
  const images = testImages(dataDir);
  const results = {};
  for (const precision of values.precisions.split(',')) {
    console.error(`running ${precision} on ${images.length} images ...`);
    const out = path.join(work, `${precision}.json`);
    const child = spawnSync(process.execPath, [scriptPath, '--worker', precision, '--data-dir', dataDir, '--out', out, ...['--model-dir', modelDir, '--image-size', String(imageSize), '--device', values.device, '--backend', values.backend]], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (child.status !== 0) {
      results[precision] = { failed: `exit code ${child.status}` };
      continue;
    }
    const result = JSON.parse(readFileSync(out, 'utf8'));
    const bytes = readFileSync(`${out}.maps`);
    result.maps = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    results[precision] = result;
  }

  const pixels = imageSize * imageSize;
  const pearson = (a, b) => {
    let ma = 0, mb = 0;
    for (let i = 0; i < a.length; i++) { ma += a[i]; mb += b[i]; }
    ma /= a.length; mb /= b.length;
    let c = 0, va = 0, vb = 0;
    for (let i = 0; i < a.length; i++) { const x = a[i] - ma, y = b[i] - mb; c += x * y; va += x * x; vb += y * y; }
    return c / Math.sqrt(va * vb);
  };
  const ranks = (v) => {
    const order = v.map((x, i) => [x, i]).sort((p, q) => p[0] - q[0]);
    const r = new Array(v.length);
    order.forEach(([, i], k) => (r[i] = k));
    return r;
  };
  const labels = Uint8Array.from(images, (i) => i.label);
  const fp32 = results.fp32;
  const summary = {};
  for (const [precision, r] of Object.entries(results)) {
    if (r.failed) {
      summary[precision] = r;
      continue;
    }
    const { maps, scores, ...timings } = r;
    const entry = { ...timings, auroc: auroc(Float32Array.from(scores), labels) };
    if (fp32 && !fp32.failed && precision !== 'fp32') {
      const correlations = [];
      let maxDiff = 0;
      for (let i = 0; i < images.length; i++) {
        const a = maps.subarray(i * pixels, (i + 1) * pixels);
        const b = fp32.maps.subarray(i * pixels, (i + 1) * pixels);
        correlations.push(pearson(a, b));
        for (let j = 0; j < pixels; j++) maxDiff = Math.max(maxDiff, Math.abs(a[j] - b[j]));
      }
      entry.vsFp32 = {
        timeRatio: +(r.secondsPerImage / fp32.secondsPerImage).toFixed(3),
        mapCorrelationMin: +Math.min(...correlations).toFixed(5),
        mapCorrelationMean: +(correlations.reduce((a, b) => a + b, 0) / correlations.length).toFixed(5),
        mapMaxAbsDifference: +maxDiff.toFixed(5),
        imageScoreMaxAbsDifference: +Math.max(...scores.map((s, i) => Math.abs(s - fp32.scores[i]))).toFixed(6),
        imageScoreRankCorrelation: +pearson(ranks(scores), ranks(fp32.scores)).toFixed(4),
      };
    }
    summary[precision] = entry;
  }
  console.log(JSON.stringify({
    model: 'ViT-L-14-336 (random weights)',
    imageSize,
    images: images.length,
    anomalous: labels.reduce((a, b) => a + b, 0),
    backend: values.backend,
    device: values.device,
    note: 'random weights: AUROC is meaningless as detection; the agreement with fp32 is what counts',
    precisions: summary,
    loadAverage: { before: loadBefore, after: os.loadavg().map((l) => +l.toFixed(2)) },
    cpus: os.cpus().length,
    node: process.versions.node,
  }, null, 2));
} finally {
  rmSync(work, { recursive: true, force: true });
}
