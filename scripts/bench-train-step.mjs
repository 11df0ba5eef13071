#!/usr/bin/env node
// Benchmark of training: seconds and memory of one training step of each AA-CLIP stage on
// ViT-L-14-336 with random weights, on the node backend's CPU. Not a test.
//
//   npm run build && node scripts/bench-train-step.mjs [--stage image|text|both] [--size 518|336]
//     [--checkpointing on|off|both] [--steps 2] [--batch 2]
//
// The weights are those of scripts/bench-image-pass.mjs (random full ViT-L-14-336 CLIP weights and
// AA-CLIP adapters as safetensors, written once by that script in a child process). Every
// configuration (stage × size × checkpointing) then runs in a child process of its own, one at a
// time and smallest first, so that the peak memory of one does not hide another's: the child reads
// the files, builds the stage's training-step model (`buildTextTrainingStep` /
// `buildImageTrainingStep`: loss graph + gradients with respect to the stage's adapters), creates
// an onnxruntime session on the CPU, runs one warm-up step and then the mean of `--steps` steps.
// Random weights make the losses meaningless but the cost exact: the graph and every tensor shape
// are those of the real model.
//
// A child is killed (and reported as such) when its resident memory passes --memory-limit-gib or
// what the machine had available when it started less 1 GiB, whichever is lower, so that it stops
// before the kernel's OOM killer picks a victim on a machine shared with others.
//
// Prints JSON: per configuration the seconds per step (wall), CPU seconds per step (about 2× the
// wall time when both cores were ours), the setup phases' seconds, RSS after each phase, and the
// peak RSS three ways (the child's /proc/self/status VmHWM, the child's own RSS samples, the
// parent's samples of the child's VmRSS), with the load average before and after.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const scriptPath = fileURLToPath(import.meta.url);
const repoRoot = path.resolve(path.dirname(scriptPath), '..');
const imageBenchScript = path.join(repoRoot, 'scripts/bench-image-pass.mjs');

const { values } = parseArgs({
  options: {
    stage: { type: 'string', default: 'both' },
    size: { type: 'string', default: 'both' },
    checkpointing: { type: 'string', default: 'both' },
    steps: { type: 'string', default: '2' },
    batch: { type: 'string', default: '2' },
    'memory-limit-gib': { type: 'string', default: String(+((os.totalmem() * 0.8) / 2 ** 30).toFixed(1)) },
    'model-dir': { type: 'string', default: path.join(os.tmpdir(), 'aaclip-bench-vit-l-14-336') },
    // Internal: run one configuration in this process and print its JSON.
    child: { type: 'boolean', default: false },
  },
});

function choice(name, value, allowed) {
  if (!allowed.includes(value)) {
    console.error(`--${name} must be one of ${allowed.join(', ')}, got "${value}"`);
    process.exit(2);
  }
  return value;
}
function positiveInteger(name, value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a positive integer, got "${value}"`);
    process.exit(2);
  }
  return n;
}

const modelDir = values['model-dir'];
// The file names bench-image-pass.mjs writes.
const files = {
  modelConfig: path.join(modelDir, 'ViT-L-14-336.json'),
  weights: path.join(modelDir, 'open_clip_model.safetensors'),
  adapters: path.join(modelDir, 'aaclip_adapters.safetensors'),
  done: path.join(modelDir, 'complete-v1'),
};

const mib = (bytes) => Math.round(bytes / 1024 / 1024);
const seconds = (start) => +((performance.now() - start) / 1000).toFixed(3);
const loadAverage = () => os.loadavg().map((l) => +l.toFixed(2));

/** A field of /proc/<pid>/status in MiB (VmRSS, VmHWM), or undefined when it cannot be read. */
function procStatusMiB(pid, field) {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Parent: the configurations one at a time, each in a child process.

async function runParent() {
  const stages = choice('stage', values.stage, ['image', 'text', 'both']);
  const size = choice('size', values.size, ['518', '336', 'both']);
  const checkpointing = choice('checkpointing', values.checkpointing, ['on', 'off', 'both']);
  const steps = positiveInteger('steps', values.steps);
  const batch = positiveInteger('batch', values.batch);
  const limitMiB = Math.round(Number(values['memory-limit-gib']) * 1024);

  if (!existsSync(files.done)) {
    console.error(`writing random ViT-L-14-336 weights to ${modelDir} (once) ...`);
    const child = spawnSync(process.execPath, [imageBenchScript, '--generate', '--model-dir', modelDir], { stdio: 'inherit' });
    if (child.status !== 0) process.exit(child.status ?? 1);
  }

  // Smallest first: 336 before 518, with checkpointing before without, the text stage (no vision
  // tower in its graph) before the image stage.
  const configurations = [];
  for (const s of size === 'both' ? ['336', '518'] : [size]) {
    for (const c of checkpointing === 'both' ? ['on', 'off'] : [checkpointing]) {
      for (const st of stages === 'both' ? ['text', 'image'] : [stages]) configurations.push({ stage: st, size: s, checkpointing: c });
    }
  }

  const loadBefore = loadAverage();
  const results = [];
  for (const configuration of configurations) {
    console.error(`running ${configuration.stage} stage at ${configuration.size} px, batch ${batch}, checkpointing ${configuration.checkpointing} ...`);
    // os.freemem() is MemAvailable on Linux: what this child can take without pushing others out.
    const childLimitMiB = Math.min(limitMiB, mib(os.freemem()) - 1024);
    const result = await runConfiguration(configuration, { steps, batch, limitMiB: childLimitMiB });
    console.error(JSON.stringify(summaryOf(result)));
    results.push(result);
  }

  console.log(JSON.stringify({
    model: 'ViT-L-14-336',
    backend: 'node',
    device: 'cpu',
    batch,
    steps,
    memoryLimitMiB: limitMiB,
    summary: results.map(summaryOf),
    configurations: results,
    loadAverage: { before: loadBefore, after: loadAverage() },
    cpus: os.cpus().length,
    totalMemoryMiB: mib(os.totalmem()),
    node: process.versions.node,
  }, null, 2));
}

/** One line per configuration: the figures a reader compares. */
function summaryOf(result) {
  return {
    stage: result.stage,
    imageSize: Number(result.size),
    checkpointing: result.checkpointing === 'on',
    secondsPerStep: result.secondsPerStep ?? null,
    cpuSecondsPerStep: result.cpuSecondsPerStep ?? null,
    peakRssMiB: result.peakRssMiB ?? result.parentObservedPeakRssMiB ?? null,
    ...(result.failed ? { failed: result.failed } : {}),
  };
}

/** Runs one configuration in a child process, watching its resident memory. */
function runConfiguration(configuration, { steps, batch, limitMiB }) {
  const args = [
    scriptPath, '--child',
    '--stage', configuration.stage, '--size', configuration.size, '--checkpointing', configuration.checkpointing,
    '--steps', String(steps), '--batch', String(batch), '--model-dir', modelDir,
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    let observedPeak = 0;
    let overLimit;
    const watch = setInterval(() => {
      const rss = procStatusMiB(child.pid, 'VmRSS');
      if (rss === undefined) return;
      observedPeak = Math.max(observedPeak, rss);
      if (rss > limitMiB && overLimit === undefined) {
        overLimit = rss;
        child.kill('SIGKILL');
      }
    }, 100);
    child.on('close', (code, signal) => {
      clearInterval(watch);
      const base = { ...configuration, batch, memoryLimitMiB: limitMiB, parentObservedPeakRssMiB: observedPeak };
      if (overLimit !== undefined) {
        resolve({ ...base, failed: `killed: resident memory ${overLimit} MiB passed the ${limitMiB} MiB limit`, peakRssMiB: `> ${limitMiB}` });
      } else if (signal !== null || code !== 0) {
        // SIGKILL without our limit: most likely the kernel's OOM killer.
        resolve({ ...base, failed: signal !== null ? `killed by ${signal} (out of memory?)` : `exit code ${code}` });
      } else {
        try {
          resolve({ ...base, ...JSON.parse(stdout) });
        } catch {
          resolve({ ...base, failed: 'the child printed no JSON' });
        }
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Child: one configuration.

async function runChild() {
  const stage = choice('stage', values.stage, ['image', 'text']);
  const size = Number(choice('size', values.size, ['518', '336']));
  const checkpointing = choice('checkpointing', values.checkpointing, ['on', 'off']) === 'on';
  const steps = positiveInteger('steps', values.steps);
  const batch = positiveInteger('batch', values.batch);

  const core = await import('@aaclip/core');
  const { createNodeBackend, readModelConfig, readWeightsFile } = await import('@aaclip/backend-node');

  // RSS after each phase, the highest sample within it (the sampler only runs while the event
  // loop is free, so it can miss a peak; VmHWM is the kernel's own high-water mark).
  const rssMiB = () => mib(process.memoryUsage().rss);
  const phases = {};
  let phasePeak = rssMiB();
  let overallPeak = phasePeak;
  const sampler = setInterval(() => {
    const rss = rssMiB();
    phasePeak = Math.max(phasePeak, rss);
    overallPeak = Math.max(overallPeak, rss);
  }, 50);
  function endPhase(name, start) {
    const rss = rssMiB();
    phases[name] = {
      seconds: seconds(start),
      rssMiB: rss,
      sampledPeakRssMiB: Math.max(phasePeak, rss),
      vmHwmMiB: procStatusMiB('self', 'VmHWM'),
    };
    overallPeak = Math.max(overallPeak, rss);
    phasePeak = rss;
  }
  phases.start = { rssMiB: rssMiB() };

  let t = performance.now();
  const config = (await readModelConfig(files.modelConfig)).model;
  const weights = await readWeightsFile(files.weights);
  const adapters = await readWeightsFile(files.adapters);
  endPhase('readFiles', t);

  const settings = core.parseAaclipSettings({ imageSize: size }, 'bench');
  const training = core.TrainingSettings.parse({});
  const model = { config, weights, adapters, settings, training, batchSize: batch };
  const prompts = { normalCount: 6, abnormalCount: 10 };
  const classCount = 1;
  t = performance.now();
  const step = stage === 'text'
    ? core.buildTextTrainingStep({ ...model, classCount, prompts }, { checkpointing })
    : core.buildImageTrainingStep(model, { checkpointing });
  endPhase('buildStepModel', t);

  t = performance.now();
  const backend = createNodeBackend();
  await backend.init('cpu');
  const session = await backend.createSession(step.onnx, { device: 'cpu' });
  endPhase('createSession', t);

  const feeds = { ...dataFeeds(core, step, { stage, size, batch, config, classCount, prompts }) };
  for (const name of step.trainable) {
    const tensor = adapters.get(name);
    if (!tensor) throw new Error(`the adapters file has no ${name}`);
    feeds[name] = tensor;
  }

  t = performance.now();
  const warm = await session.run(feeds);
  endPhase('warmUpStep', t);
  const loss = warm[step.lossOutput]?.data[0];

  const runs = [];
  const cpuStart = process.cpuUsage();
  const stepsStart = performance.now();
  for (let i = 0; i < steps; i++) {
    const s = performance.now();
    await session.run(feeds);
    runs.push(seconds(s));
  }
  const cpu = process.cpuUsage(cpuStart);
  endPhase('timedSteps', stepsStart);
  clearInterval(sampler);
  await session.dispose();

  console.log(JSON.stringify({
    secondsPerStep: +(runs.reduce((a, b) => a + b, 0) / runs.length).toFixed(3),
    cpuSecondsPerStep: +((cpu.user + cpu.system) / 1e6 / runs.length).toFixed(3),
    runs,
    peakRssMiB: procStatusMiB('self', 'VmHWM'),
    sampledPeakRssMiB: overallPeak,
    maxRssMiB: mib(process.resourceUsage().maxRSS * 1024),
    phases,
    trainableWeights: step.trainable.length,
    dataInputs: step.dataInputs,
    onnxModelMiB: +(step.onnx.model.byteLength / 2 ** 20).toFixed(1),
    warmUpLoss: loss === undefined ? null : +Number(loss).toFixed(6),
  }));
}

// A small xorshift generator, reproducible across runs.
let state = 0x2545f491;
function uniform() {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state / 4294967296;
}

/** Random rows of length `width`, each scaled to unit L2 norm. */
function unitRows(rows, width) {
  const data = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let i = 0; i < width; i++) {
      const v = uniform() - 0.5;
      data[r * width + i] = v;
      norm += v * v;
    }
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < width; i++) data[r * width + i] *= scale;
  }
  return data;
}

/** Masks [B, S, S]: image 0 normal (all zeros), the others with an anomalous square in the middle. */
function masksTensor(core, batch, size) {
  const data = new Float32Array(batch * size * size);
  const from = Math.floor(size / 3);
  const to = Math.floor((2 * size) / 3);
  for (let b = 1; b < batch; b++) {
    for (let y = from; y < to; y++) data.fill(1, b * size * size + y * size + from, b * size * size + y * size + to);
  }
  return core.float32Tensor([batch, size, size], data);
}

/** Random but well-formed data inputs of the step model, by the names stageIo.ts gives them. */
function dataFeeds(core, step, { stage, size, batch, config, classCount, prompts }) {
  const embed = config.embed_dim;
  const feeds = { [core.MASKS_INPUT]: masksTensor(core, batch, size) };
  if (stage === 'image') {
    const pixels = new Float32Array(batch * 3 * size * size);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (uniform() - 0.5) * 4;
    feeds[core.PIXELS_INPUT] = core.float32Tensor([batch, 3, size, size], pixels);
    // Anchors [B, E, 2]: a unit normal and a unit anomalous column per image.
    const rows = unitRows(batch * 2, embed);
    const anchors = new Float32Array(batch * embed * 2);
    for (let b = 0; b < batch; b++) {
      for (let c = 0; c < 2; c++) {
        for (let e = 0; e < embed; e++) anchors[b * embed * 2 + e * 2 + c] = rows[(b * 2 + c) * embed + e];
      }
    }
    feeds[core.ANCHORS_INPUT] = core.float32Tensor([batch, embed, 2], anchors);
    const labels = new Float32Array(batch * 2);
    for (let b = 0; b < batch; b++) labels[b * 2 + (b === 0 ? 0 : 1)] = 1;
    feeds[core.LABEL_ONE_HOT_INPUT] = core.float32Tensor([batch, 2], labels);
  } else {
    const context = config.text_cfg.context_length;
    const promptRows = classCount * (prompts.normalCount + prompts.abnormalCount);
    // Each prompt: start-of-text, a few word ids, end-of-text (the largest id), zero padding.
    const ids = new BigInt64Array(promptRows * context);
    for (let r = 0; r < promptRows; r++) {
      const words = 3 + (r % 5);
      ids[r * context] = 49406n;
      for (let w = 1; w <= words; w++) ids[r * context + w] = BigInt(320 + ((r * 37 + w * 101) % 40000));
      ids[r * context + words + 1] = 49407n;
    }
    feeds[core.PROMPT_IDS_INPUT] = { dtype: 'I64', shape: [promptRows, context], data: ids };
    const oneHot = new Float32Array(batch * classCount);
    for (let b = 0; b < batch; b++) oneHot[b * classCount + (b % classCount)] = 1;
    feeds[core.CLASS_ONE_HOT_INPUT] = core.float32Tensor([batch, classCount], oneHot);
    const grid = core.visionGrid(config, size, 'bench');
    for (const name of step.dataInputs) {
      if (!/^patch_features_\d+$/.test(name)) continue;
      feeds[name] = core.float32Tensor([batch, grid * grid, embed], unitRows(batch * grid * grid, embed));
    }
  }
  const missing = step.dataInputs.filter((name) => !(name in feeds));
  if (missing.length > 0) throw new Error(`the benchmark has no feed for ${missing.join(', ')}`);
  return feeds;
}

// Last, so that every module-level binding above is initialised before either side runs.
if (values.child) await runChild();
else await runParent();
