#!/usr/bin/env node
// Benchmark: `resolveHubModel` pulling a model from a hub on loopback (a child process serving
// repo info, the tree and /resolve/ with a redirect to a Range-capable "CDN", as the hub does):
// a first pull of a --size MB weights file, a second pull (cached: no transfer), and a pull whose
// transfer is cut half-way and resumed. Prints wall time, throughput, this process's CPU time and
// peak RSS. Not a test.
//
//   npm run build && node scripts/bench-hub-pull.mjs [--size 500]
import { createHash } from 'node:crypto';
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

const { values } = parseArgs({ options: { size: { type: 'string', default: '500' }, serve: { type: 'boolean', default: false } } });
const REPO = 'bench/model';
const COMMIT = 'a'.repeat(40);

if (values.serve) serve(Number(values.size));
else await bench(Number(values.size));

/** The child: a minimal hub for one repo, its weights made of reproducible pseudo-random bytes. */
function serve(sizeMb) {
  const weights = Buffer.alloc(sizeMb * 1_000_000);
  let state = 0x2545f491;
  for (let i = 0; i < weights.length; i += 4) {
    state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
    weights.writeUInt32LE(state, i);
  }
  const files = {
    'open_clip_config.json': Buffer.from('{"model_cfg": {}}'),
    'open_clip_model.safetensors': weights,
    'bpe_simple_vocab_16e6.txt.gz': Buffer.from('vocab'),
  };
  const sha256 = (b) => createHash('sha256').update(b).digest('hex');
  const gitId = (b) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
  const lfs = (name) => name.endsWith('.safetensors') || name.endsWith('.gz');
  const shas = Object.fromEntries(Object.entries(files).map(([n, b]) => [n, sha256(b)]));
  let cutNext = false;
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/cut-next') { cutNext = true; return res.end(); }
    if (url.pathname === `/api/models/${REPO}/revision/main`) return res.end(JSON.stringify({ sha: COMMIT }));
    if (url.pathname === `/api/models/${REPO}/tree/${COMMIT}`) {
      return res.end(JSON.stringify(Object.entries(files).map(([p, b]) => ({
        type: 'file', path: p, size: b.length, oid: gitId(lfs(p) ? Buffer.from(shas[p]) : b), ...(lfs(p) ? { lfs: { oid: shas[p], size: b.length } } : {}),
      }))));
    }
    const resolve = url.pathname.match(new RegExp(`^/${REPO}/resolve/${COMMIT}/(.+)$`));
    if (resolve && lfs(resolve[1])) {
      res.writeHead(302, { location: `/cdn/${resolve[1]}`, 'x-linked-etag': `"${shas[resolve[1]]}"` });
      return res.end();
    }
    const name = resolve?.[1] ?? url.pathname.match(/^\/cdn\/(.+)$/)?.[1];
    const body = files[name];
    if (!body) return res.writeHead(404).end();
    const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    res.writeHead(start ? 206 : 200, { 'content-length': body.length - start, ...(start ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
    if (cutNext && name.endsWith('.safetensors')) {
      cutNext = false;
      res.write(body.subarray(start, start + ((body.length - start) >> 1)), () => res.socket.destroy());
      return;
    }
    res.end(body.subarray(start));
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
}

async function bench(sizeMb) {
  const { resolveHubModel } = await import('../packages/hub/dist/index.js');
  const child = fork(new URL(import.meta.url).pathname, ['--serve', '--size', String(sizeMb)]);
  const { port } = await new Promise((resolve) => child.once('message', resolve));
  const endpoint = `http://127.0.0.1:${port}`;
  const work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-bench-hub-'));
  const run = async (label, cacheDir, before) => {
    if (before) await fetch(`${endpoint}${before}`);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const model = await resolveHubModel(REPO, { env: { HF_ENDPOINT: endpoint, HF_HUB_CACHE: cacheDir, HF_TOKEN_PATH: '/nonexistent' }, retry: { firstDelayMs: 100 } });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const mb = model.transferredBytes / 1e6;
    console.log(`${label.padEnd(28)} ${seconds.toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU, ${mb.toFixed(0)} MB transferred${mb > 0 ? `, ${(mb / seconds).toFixed(0)} MB/s` : ''}`);
  };
  try {
    console.log(`weights: ${sizeMb} MB, node ${process.version}, ${os.cpus().length} cores`);
    await run('first pull', path.join(work, 'a'));
    await run('second pull (cached)', path.join(work, 'a'));
    await run('pull cut half-way, resumed', path.join(work, 'b'), '/cut-next');
    console.log(`peak RSS of the pulling process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  } finally {
    child.kill();
    await rm(work, { recursive: true, force: true });
  }
}
