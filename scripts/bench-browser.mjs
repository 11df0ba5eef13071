#!/usr/bin/env node
// Benchmark of AA-CLIP in Chromium: ViT-L-14-336 at 518×518 with adapters, random weights, on
// onnxruntime-web's wasm (with and without threads, fp32 and int8) and WebGPU (fp32, and fp16
// where the adapter has shader-f16). Not a test.
//
//   node scripts/bench-browser.mjs [--cases wasm,wasm:1,wasm:int8,webgpu,webgpu:fp16] [--images 2] [--image-size 518]
//                                  [--timeout 900] [--max-memory-gb 8] [--model-dir DIR]
//
// A case is DEVICE[:THREADS][:PRECISION], e.g. "wasm" (default threads), "wasm:1", "wasm:int8", "webgpu:fp16".
// The random weights are those of scripts/bench-image-pass.mjs (written once to --model-dir by it).
// The demo server (packages/backend-web/demo/serveDemo.mjs: cross-origin isolated, so wasm may
// use threads) serves them, and each case opens the demo's bench.html in a fresh headless Chromium
// (Debian's /usr/bin/chromium, or CHROMIUM_PATH, through playwright-core): the page downloads the
// files, builds and loads both towers, computes one class's anchors, then runs one warm-up pass and
// --images timed passes on a synthetic photo (see demo/app/benchPage.ts).
//
// Memory: the page's own figures (performance.measureUserAgentSpecificMemory, which Chromium offers
// on cross-origin-isolated pages, and the JS heap), and from /proc every 250 ms the peak RSS of the
// renderer and GPU processes and the peak PSS of Chromium's whole process tree. A case stops when
// it runs past --timeout seconds or the tree passes --max-memory-gb (the machine is shared).
// Without a GPU, Chromium's WebGPU adapter is SwiftShader, a Vulkan driver emulated on the CPU:
// its figures show whether the path runs, not what a GPU does.
//
// Prints JSON: per case the stages' times, seconds per image, memory, and how the case ended; the
// load average before and after.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sharedDir = process.env.AACLIP_SHARED ?? path.resolve(repoRoot, '../shared');
const vocabPath = path.join(sharedDir, 'clip/bpe_simple_vocab_16e6.txt.gz');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: 'wasm,wasm:1,wasm:int8,webgpu,webgpu:fp16' },
    images: { type: 'string', default: '2' },
    'image-size': { type: 'string', default: '518' },
    timeout: { type: 'string', default: '900' },
    'max-memory-gb': { type: 'string', default: '8' },
    'model-dir': { type: 'string', default: path.join(os.tmpdir(), 'aaclip-bench-vit-l-14-336') },
  },
});

const modelDir = values['model-dir'];
const timeoutSeconds = Number(values.timeout);
const maxTreeBytes = Number(values['max-memory-gb']) * 1024 ** 3;
for (const [flag, value] of [['--images', values.images], ['--image-size', values['image-size']], ['--timeout', values.timeout], ['--max-memory-gb', values['max-memory-gb']]]) {
  if (!(Number(value) > 0)) {
    console.error(`bench-browser: ${flag} must be a positive number, got "${value}"`);
    process.exit(1);
  }
}
if (!existsSync(chromiumPath)) {
  console.error(`bench-browser: no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`);
  process.exit(1);
}

/** "wasm:1:fp16" → { device, threads, precision }. */
function parseCase(text) {
  const [device, ...rest] = text.split(':');
  if (device !== 'wasm' && device !== 'webgpu') throw new Error(`case "${text}": the device is wasm or webgpu`);
  const result = { name: text, device, threads: undefined, precision: undefined };
  for (const part of rest) {
    if (/^\d+$/.test(part)) result.threads = Number(part);
    else if (/^(fp32|fp16|int8)$/.test(part)) result.precision = part;
    else throw new Error(`case "${text}": "${part}" is neither a thread count nor a precision`);
  }
  return result;
}

let cases;
try {
  cases = values.cases.split(',').filter(Boolean).map(parseCase);
} catch (err) {
  console.error(`bench-browser: ${err.message}`);
  process.exit(1);
}

if (!existsSync(path.join(modelDir, 'complete-v1'))) {
  console.error(`writing random ViT-L-14-336 weights to ${modelDir} (once) ...`);
  const child = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/bench-image-pass.mjs'), '--generate', '--model-dir', modelDir], { stdio: 'inherit' });
  if (child.status !== 0) process.exit(child.status ?? 1);
}

// ---- Chromium's processes, from /proc ----

const PAGE_SIZE = 4096;
const TICKS = 100; // USER_HZ on Linux

function readProc(pid, file) {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null; // the process ended
  }
}

/** Every process under `rootPid` (itself included). */
function processTree(rootPid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProc(entry, 'stat');
    if (!stat) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(entry));
  }
  const tree = [];
  const queue = [rootPid];
  while (queue.length) {
    const pid = queue.pop();
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** RSS, PSS, CPU seconds and Chromium process type of each process of the tree. */
function sampleTree(rootPid) {
  return processTree(rootPid).map((pid) => {
    const stat = readProc(pid, 'stat');
    const fields = stat ? stat.slice(stat.lastIndexOf(')') + 2).split(' ') : [];
    const rollup = readProc(pid, 'smaps_rollup') ?? '';
    const pss = Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
    const cmdline = readProc(pid, 'cmdline') ?? '';
    const type = /--type=([\w-]+)/.exec(cmdline)?.[1] ?? 'browser';
    return {
      pid,
      type,
      rss: Number(fields[21] ?? 0) * PAGE_SIZE,
      pss,
      cpuSeconds: (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / TICKS,
    };
  });
}

// ---- one case ----

const firstAndLast = (lines, n) => (lines.length <= 2 * n ? lines : [...lines.slice(0, n), `… ${lines.length - 2 * n} more …`, ...lines.slice(-n)]);
const mib = (bytes) => (bytes == null ? null : Math.round(bytes / 1024 / 1024));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function runCase(spec, server, chromium) {
  const browserServer = await chromium.launchServer({
    executablePath: chromiumPath,
    args: [
      '--enable-unsafe-webgpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--no-sandbox',
      // performance.measureUserAgentSpecificMemory answers at once instead of at the next GC.
      '--enable-blink-features=ForceEagerMeasureMemory',
    ],
  });
  const rootPid = browserServer.process().pid;
  const browser = await chromium.connect(browserServer.wsEndpoint());
  const page = await browser.newPage();
  const consoleLines = [];
  page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`.slice(0, 300)));
  page.on('pageerror', (err) => consoleLines.push(`pageerror: ${err.message}`.slice(0, 300)));
  page.on('crash', () => consoleLines.push('the page crashed'));

  const query = new URLSearchParams({
    model: `${server.url}files/model/`,
    config: 'ViT-L-14-336.json',
    weights: 'open_clip_model.safetensors',
    adapters: 'aaclip_adapters.safetensors',
    vocab: `${server.url}files/clip/${path.basename(vocabPath)}`,
    device: spec.device,
    size: values['image-size'],
    images: values.images,
  });
  if (spec.threads !== undefined) query.set('threads', String(spec.threads));
  if (spec.precision) query.set('precision', spec.precision);

  const peak = { rendererRss: 0, gpuRss: 0, treePss: 0, treeRss: 0 };
  const cpuByPid = new Map();
  const treeCpu = () => [...cpuByPid.values()].reduce((a, b) => a + b, 0);
  let cpuAtWarmUpEnd = null;
  let cpuAtEnd = null;
  let outcome = 'done';
  let handle = null;
  let lastStage = '';
  const started = Date.now();
  await page.goto(`${server.url}bench.html?${query}`);
  for (;;) {
    const tree = sampleTree(rootPid);
    for (const p of tree) {
      cpuByPid.set(p.pid, Math.max(cpuByPid.get(p.pid) ?? 0, p.cpuSeconds));
      if (p.type === 'renderer') peak.rendererRss = Math.max(peak.rendererRss, p.rss);
      if (p.type === 'gpu-process') peak.gpuRss = Math.max(peak.gpuRss, p.rss);
    }
    const treePss = tree.reduce((a, p) => a + p.pss, 0);
    peak.treePss = Math.max(peak.treePss, treePss);
    peak.treeRss = Math.max(peak.treeRss, tree.reduce((a, p) => a + p.rss, 0));
    try {
      handle = await page.evaluate(() => globalThis.aaclipBench ?? null);
    } catch (err) {
      outcome = `the page stopped answering (${err.message.split('\n')[0]})`;
      break;
    }
    if (handle) {
      const stage = Object.keys(handle.stages).at(-1) ?? 'reading files';
      const reached = handle.runs.length ? `image ${handle.runs.length}` : handle.warmUpSeconds !== null ? 'warm-up done' : handle.anchorsSeconds !== null ? 'anchors done' : stage;
      if (reached !== lastStage) {
        console.error(`[${spec.name}] ${((Date.now() - started) / 1000).toFixed(0)} s: ${reached} (Chromium PSS ${mib(treePss)} MiB)`);
        lastStage = reached;
      }
      if (handle.warmUpSeconds !== null && cpuAtWarmUpEnd === null) cpuAtWarmUpEnd = treeCpu();
      if (handle.state === 'done') cpuAtEnd ??= treeCpu();
      if (handle.state !== 'running') {
        if (handle.state === 'error') outcome = `error: ${handle.error}`;
        break;
      }
    }
    if (treePss > maxTreeBytes) {
      outcome = `stopped: Chromium's processes passed --max-memory-gb ${values['max-memory-gb']}`;
      break;
    }
    if (Date.now() - started > timeoutSeconds * 1000) {
      outcome = `stopped after --timeout ${timeoutSeconds} s`;
      break;
    }
    await sleep(250);
  }
  await browser.close().catch(() => {});
  await browserServer.close().catch(() => {});

  const runs = handle?.runs ?? [];
  return {
    case: spec.name,
    outcome,
    wallSeconds: Math.round((Date.now() - started) / 1000),
    device: handle?.device ?? null,
    runtime: handle?.runtime ?? null,
    secondsPerImage: runs.length ? +(runs.reduce((a, b) => a + b, 0) / runs.length).toFixed(3) : null,
    runs,
    // CPU seconds of all Chromium processes from the end of the warm-up to the end of the case:
    // the timed passes plus the page's memory measurements and the detector's disposal, so an
    // upper bound, not the passes' cost (the page cannot be sampled while a pass holds its thread).
    cpuSecondsAfterWarmUp: cpuAtWarmUpEnd !== null && cpuAtEnd !== null ? +(cpuAtEnd - cpuAtWarmUpEnd).toFixed(1) : null,
    warmUpSeconds: handle?.warmUpSeconds ?? null,
    readFilesSeconds: handle?.readSeconds ?? null,
    setupSeconds: handle?.setupSeconds ?? null,
    setupStages: handle?.stages ?? {},
    anchorsSeconds: handle?.anchorsSeconds ?? null,
    imageScore: handle?.imageScore ?? null,
    pageMemoryMiB: (handle?.memory ?? []).map((m) => ({
      at: m.at,
      userAgentSpecific: mib(m.userAgentBytes),
      byType: Object.fromEntries(Object.entries(m.userAgentByType ?? {}).map(([type, bytes]) => [type, mib(bytes)])),
      jsHeap: mib(m.jsHeapBytes),
    })),
    peakMiB: { rendererRss: mib(peak.rendererRss), gpuProcessRss: mib(peak.gpuRss), chromiumPss: mib(peak.treePss), chromiumRssSum: mib(peak.treeRss) },
    // The page's first and last console lines (the first error usually says why later ones happen).
    console: firstAndLast(consoleLines.filter((line) => !line.startsWith('debug')), 4),
  };
}

const { chromium } = await import('playwright-core');
const { startDemoServer } = await import('../packages/backend-web/demo/serveDemo.mjs');
const server = await startDemoServer({ port: 0, mounts: { model: modelDir, clip: path.dirname(vocabPath) } });
const loadBefore = os.loadavg().map((l) => +l.toFixed(2));
const results = [];
try {
  for (const spec of cases) results.push(await runCase(spec, server, chromium));
} finally {
  await server.close();
}
console.log(JSON.stringify({
  model: 'ViT-L-14-336 (random weights, AA-CLIP adapters)',
  imageSize: Number(values['image-size']),
  chromium: spawnSync(chromiumPath, ['--version'], { encoding: 'utf8' }).stdout.trim(),
  cases: results,
  loadAverage: { before: loadBefore, after: os.loadavg().map((l) => +l.toFixed(2)) },
  cpus: os.cpus().length,
  memoryGiB: +(os.totalmem() / 1024 ** 3).toFixed(1),
}, null, 2));
