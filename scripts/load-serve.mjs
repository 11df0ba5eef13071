#!/usr/bin/env node
// Load test of `aaclip serve` on the tiny fixture model over loopback. Not a test.
//
//   node scripts/load-serve.mjs [--requests 500] [--concurrency 1,4,16] [--warmup 300] [--threads 1] [--server-concurrency 1] [--max-queue 64] [--built]
//
// Starts `aaclip serve` as its own process on 127.0.0.1 with a free port — from the TypeScript
// sources (test-support/aaclipFromSource.mjs: no build needed, but the TypeScript compiler's
// hooks live in the server process and add to its memory), or with --built from the built CLI
// (packages/cli/bin/aaclip.js, after `npm run build`), as a user runs it — waits for /v1/ready, sends
// --warmup requests from as many clients as the largest --concurrency (so that the memory the
// server keeps for that many requests at once, its allocator's pools and the JIT's code, is in
// place before the start figure is taken; a few requests at one client leave the start figure
// 10-15 % low), then for each client concurrency sends --requests POST /v1/detect requests
// (the fixture's three PNGs in turn, raw bodies, class "dark bottle", scores only) from that many
// concurrent clients (each sends its next request when its last one is answered, a 429 included,
// without waiting for its Retry-After). Per phase it reports throughput (answers, and images
// scored, per second of wall time), the latency p50/p95/p99 (ms) of the scored requests, answers by
// status (errors: anything but 200 and 429; 429s are counted apart, as deliberate backpressure), and the
// server's resident memory (RSS) and CPU seconds from its /metrics (prom-client's process
// metrics). Then it stops the server with SIGTERM and checks it exits 0.
//
// Prints one JSON object, plus a Markdown table on stderr. The machine's load average is in the
// output: on a shared machine the timings are slower than on an idle one.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sharedDir = process.env.AACLIP_SHARED ?? path.resolve(repoRoot, '../shared');
const fixture = path.join(sharedDir, 'fixtures/tiny-aaclip');

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '1,4,16' },
    threads: { type: 'string', default: '1' },
    'server-concurrency': { type: 'string', default: '1' },
    'max-queue': { type: 'string', default: '64' },
    warmup: { type: 'string', default: '300' },
    built: { type: 'boolean', default: false },
  },
});
const requests = Number(values.requests);
const clientLevels = values.concurrency.split(',').map(Number);
const warmupRequests = Number(values.warmup);

const images = ['img0.png', 'img1.png', 'img2.png'].map((f) => readFileSync(path.join(fixture, 'images', f)));

const server = spawn(
  process.execPath,
  [
    ...(values.built ? [path.join(repoRoot, 'packages/cli/bin/aaclip.js')] : ['--conditions=@aaclip/source', path.join(repoRoot, 'test-support/aaclipFromSource.mjs')]),
    'serve',
    '--model-config', path.join(fixture, 'open_clip_config.json'),
    '--weights', path.join(fixture, 'clip.safetensors'),
    '--adapters', path.join(fixture, 'adapters.safetensors'),
    '--vocab', path.join(sharedDir, 'clip/bpe_simple_vocab_16e6.txt.gz'),
    '--image-size', '48',
    '--threads', values.threads,
    '--concurrency', values['server-concurrency'],
    '--max-queue', values['max-queue'],
    '--port', '0',
  ],
  { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
);
const exited = new Promise((resolve) => server.once('exit', (code, signal) => resolve(code ?? signal)));
let log = '';
const url = await new Promise((resolve, reject) => {
  server.stdout.setEncoding('utf8').on('data', (chunk) => {
    log += chunk;
    const match = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(log);
    if (match) resolve(match[1]);
  });
  server.once('exit', () => reject(new Error(`the server ended before listening:\n${log}`)));
});
while ((await fetch(`${url}/v1/ready`)).status !== 200) await new Promise((r) => setTimeout(r, 200));

/** The server's RSS (MiB) and CPU seconds, from its /metrics. */
async function serverProcess() {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)[1]);
  return { rssMiB: Math.round(value('aaclip_process_resident_memory_bytes') / 1024 / 1024), cpuSeconds: value('aaclip_process_cpu_seconds_total') };
}

const query = `class_name=${encodeURIComponent('dark bottle')}`;
let sent = 0;
async function detectOnce() {
  const body = images[sent++ % images.length];
  const started = performance.now();
  const response = await fetch(`${url}/v1/detect?${query}`, { method: 'POST', headers: { 'content-type': 'image/png' }, body });
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const round = (x, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Sends `count` requests from `clients` concurrent clients, each sending its next when its last is answered. */
async function sendFrom(clients, count) {
  const results = [];
  let remaining = count;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (remaining > 0) {
        remaining--;
        results.push(await detectOnce());
      }
    }),
  );
  return results;
}

await sendFrom(Math.max(...clientLevels), warmupRequests);
const start = await serverProcess();
const loadBefore = os.loadavg()[0];
const phases = [];
for (const clients of clientLevels) {
  const before = await serverProcess();
  const t0 = performance.now();
  const results = await sendFrom(clients, requests);
  const wall = (performance.now() - t0) / 1000;
  const after = await serverProcess();
  const latencies = results.filter((r) => r.status === 200).map((r) => r.ms).sort((a, b) => a - b);
  const byStatus = {};
  for (const { status } of results) byStatus[status] = (byStatus[status] ?? 0) + 1;
  phases.push({
    clients,
    requests: results.length,
    seconds: round(wall, 2),
    requestsPerSecond: round(results.length / wall),
    scoredPerSecond: round(latencies.length / wall),
    latencyMs: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), p99: round(percentile(latencies, 99)) },
    byStatus,
    errors: results.filter((r) => r.status !== 200 && r.status !== 429).length,
    rejected429: byStatus[429] ?? 0,
    serverCpuSeconds: round(after.cpuSeconds - before.cpuSeconds, 2),
    serverRssMiB: after.rssMiB,
  });
}
const end = await serverProcess();
server.kill('SIGTERM');
const exitCode = await exited;

const report = {
  model: 'tiny-aaclip fixture (image size 48, adapters), node backend, cpu',
  cli: values.built ? 'built (packages/cli/bin/aaclip.js)' : 'from the sources (test-support/aaclipFromSource.mjs)',
  warmupRequests,
  server: { threads: Number(values.threads), concurrency: Number(values['server-concurrency']), maxQueue: Number(values['max-queue']) },
  cores: os.cpus().length,
  loadAverage: { before: round(loadBefore, 2), after: round(os.loadavg()[0], 2) },
  rssMiB: { start: start.rssMiB, end: end.rssMiB, growthPercent: round(((end.rssMiB - start.rssMiB) / start.rssMiB) * 100) },
  phases,
  exitCodeAfterSigterm: exitCode,
};
console.log(JSON.stringify(report, null, 2));
console.error('| clients | requests | answers/s | scored/s | p50 ms | p95 ms | p99 ms | errors | 429 | server CPU s | wall s | server RSS MiB |');
console.error('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const p of phases) {
  console.error(`| ${p.clients} | ${p.requests} | ${p.requestsPerSecond} | ${p.scoredPerSecond} | ${p.latencyMs.p50} | ${p.latencyMs.p95} | ${p.latencyMs.p99} | ${p.errors} | ${p.rejected429} | ${p.serverCpuSeconds} | ${p.seconds} | ${p.serverRssMiB} |`);
}
console.error(`RSS start ${start.rssMiB} MiB, end ${end.rssMiB} MiB (${report.rssMiB.growthPercent} %); exit after SIGTERM: ${exitCode}`);
process.exitCode = exitCode === 0 && phases.every((p) => p.errors === 0) ? 0 : 1;
