#!/usr/bin/env node
// Throughput of distributed scoring: images per second of `aaclip submit` with 1 and 2 `aaclip
// worker` processes, on the tiny fixture model, on this machine. Not a test.
//
//   node scripts/load-submit.mjs [--images 200] [--workers 1,2] [--threads 1] [--concurrency 1] [--built]
//
// Starts a private redis-server (a free loopback port, append-only file on, data in a temporary
// folder removed at the end) and writes --images distinct PNGs (the fixture's three images at
// 40–120 px sides). For each worker count it starts that many workers on a fresh queue (the
// fixture model at image size 48, --threads each, --concurrency jobs in hand) and waits until they
// are ready, then runs `aaclip submit` over all the images and times it from start to exit:
// throughput = images / submit's wall time (which includes submit's own start-up and reading the
// files), and the steady rate between the first and the last image the workers scored. CPU
// seconds of submit and of the workers during the run are read from /proc. The CLI runs from the
// TypeScript sources (test-support/aaclipFromSource.mjs, no build needed) or with --built from
// packages/cli/bin/aaclip.js after `npm run build`.
//
// Prints one JSON object, plus a Markdown table on stderr. The machine's load average is in the
// output: on a shared machine the figures are lower than on an idle one.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sharedDir = process.env.AACLIP_SHARED ?? path.resolve(repoRoot, '../shared');
const fixture = path.join(sharedDir, 'fixtures/tiny-aaclip');

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '200' },
    workers: { type: 'string', default: '1,2' },
    threads: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '1' },
    built: { type: 'boolean', default: false },
  },
});
const imageCount = Number(values.images);
const workerCounts = values.workers.split(',').map(Number);

const cliArgs = values.built
  ? [path.join(repoRoot, 'packages/cli/bin/aaclip.js')]
  : ['--conditions=@aaclip/source', path.join(repoRoot, 'test-support/aaclipFromSource.mjs')];
const modelFlags = [
  '--model-config', path.join(fixture, 'open_clip_config.json'),
  '--weights', path.join(fixture, 'clip.safetensors'),
  '--adapters', path.join(fixture, 'adapters.safetensors'),
  '--vocab', path.join(sharedDir, 'clip/bpe_simple_vocab_16e6.txt.gz'),
  '--image-size', '48',
];

function start(command, args) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = { child, out: '', err: '', lines: [], exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal))) };
  child.stdout.setEncoding('utf8').on('data', (d) => {
    proc.out += d;
    for (const line of d.split('\n')) if (line.includes('\tjob=')) proc.lines.push(performance.now());
  });
  child.stderr.setEncoding('utf8').on('data', (d) => (proc.err += d));
  return proc;
}

async function until(what, test, proc, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (proc.child.exitCode !== null) throw new Error(`ended before ${what}: ${proc.err.slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** CPU seconds (user + system) of a running process, from /proc. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const work = mkdtempSync(path.join(os.tmpdir(), 'aaclip-load-submit-'));
const port = await freePort();
const redis = start('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', work, '--appendonly', 'yes', '--save', '']);
const redisUrl = `redis://127.0.0.1:${port}`;
const results = [];
try {
  await until('redis-server ready', () => redis.out.includes('Ready to accept connections'), redis, 10_000);
  const images = [];
  for (let i = 0; i < imageCount; i++) {
    const file = path.join(work, `img-${String(i).padStart(4, '0')}.png`);
    // Distinct files (a job's id is its content hash, so a repeated image would be scored once):
    // 81 widths × 81 heights × the fixture's 3 images.
    const width = 40 + (i % 81);
    const height = 40 + (Math.floor(i / 81) % 81);
    await sharp(path.join(fixture, `images/img${Math.floor(i / 6561) % 3}.png`)).resize(width, height, { fit: 'fill' }).png().toFile(file);
    images.push(file);
  }
  const loadBefore = os.loadavg()[0];
  for (const n of workerCounts) {
    const queue = `load-${n}`;
    const workers = Array.from({ length: n }, () => start(process.execPath, [...cliArgs, 'worker', '--redis', redisUrl, '--queue', queue, '--threads', values.threads, '--concurrency', values.concurrency, ...modelFlags]));
    await Promise.all(workers.map((w) => until('worker ready', () => w.err.includes('ready on queue'), w)));
    const workerCpu0 = workers.map((w) => cpuSeconds(w.child.pid));
    const t0 = performance.now();
    const submit = start(process.execPath, [...cliArgs, 'submit', '--redis', redisUrl, '--queue', queue, '--class-name', 'dark bottle', '--out', path.join(work, `out-${n}`), ...images]);
    let submitCpu = 0;
    const sampler = setInterval(() => (submitCpu = cpuSeconds(submit.child.pid) ?? submitCpu), 100);
    const code = await submit.exited;
    clearInterval(sampler);
    const wall = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`submit exited ${code}: ${submit.err.slice(-2000)}`);
    const scored = workers.reduce((sum, w) => sum + w.lines.length, 0);
    if (scored !== imageCount) throw new Error(`the workers scored ${scored} of the ${imageCount} images`);
    const workerCpu = workers.reduce((sum, w, i) => sum + (cpuSeconds(w.child.pid) - workerCpu0[i]), 0);
    const stamps = workers.flatMap((w) => w.lines).sort((a, b) => a - b);
    const steady = stamps.length > 1 ? (stamps.length - 1) / ((stamps.at(-1) - stamps[0]) / 1000) : null;
    results.push({
      workers: n,
      images: imageCount,
      submit_wall_s: +wall.toFixed(2),
      images_per_s: +(imageCount / wall).toFixed(1),
      steady_images_per_s: steady && +steady.toFixed(1),
      submit_cpu_s: +submitCpu.toFixed(2),
      workers_cpu_s: +workerCpu.toFixed(2),
      per_worker_scored: workers.map((w) => w.lines.length),
    });
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
  }
  const report = { machine: { cpus: os.availableParallelism(), load_average_before: +loadBefore.toFixed(2), load_average_after: +os.loadavg()[0].toFixed(2) }, threads_per_worker: Number(values.threads), concurrency: Number(values.concurrency), runs: results };
  console.log(JSON.stringify(report, null, 2));
  console.error('| workers | images | submit wall (s) | images/s | steady images/s | submit CPU (s) | workers CPU (s) |');
  console.error('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) console.error(`| ${r.workers} | ${r.images} | ${r.submit_wall_s} | ${r.images_per_s} | ${r.steady_images_per_s} | ${r.submit_cpu_s} | ${r.workers_cpu_s} |`);
} finally {
  redis.child.kill('SIGTERM');
  await redis.exited;
  rmSync(work, { recursive: true, force: true });
}
