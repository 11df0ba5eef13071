#!/usr/bin/env -S node --expose-gc
// Does the service keep anything per request? Not a test.
//
//   node --expose-gc scripts/serve-heap.mjs [--rounds 8] [--clients 16] [--per-client 64]
//
// Serves the tiny fixture model with @aaclip/server's createServer in this process (from the
// TypeScript sources, through test-support/sourceHooks.mjs) on a free loopback port, and sends
// rounds of requests (--clients concurrent clients, --per-client requests each: the fixture's
// three PNGs in turn as raw bodies). After each round it forces two full garbage collections and
// prints the JavaScript heap in use, the external and ArrayBuffer memory and the RSS. A heap that
// stays flat from round to round keeps nothing per request; RSS alone cannot say that, since V8
// and the allocator grow their pools for a while before they settle.
import { register } from 'node:module';
import { parseArgs } from 'node:util';

register('../test-support/sourceHooks.mjs', import.meta.url);
if (typeof globalThis.gc !== 'function') {
  console.error('serve-heap: run with node --expose-gc');
  process.exit(2);
}
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '8' },
    clients: { type: 'string', default: '16' },
    'per-client': { type: 'string', default: '64' },
  },
});
const { fixtureDetector, startServer, imageBytes } = await import('../packages/server/test/fixtureServer.ts');

const detector = await fixtureDetector();
const server = await startServer(detector);
const bodies = [0, 1, 2].map(imageBytes);
let sent = 0;
async function client(count) {
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${server.url}/v1/detect?class_name=bottle`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: bodies[sent++ % bodies.length] });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`request ${sent}: status ${response.status}`);
  }
}
const mib = (bytes) => (bytes / 2 ** 20).toFixed(2);
const rows = [];
for (let round = 0; round < Number(values.rounds); round++) {
  await Promise.all(Array.from({ length: Number(values.clients) }, () => client(Number(values['per-client']))));
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  rows.push({ requests: sent, heapUsedMiB: +mib(m.heapUsed), externalMiB: +mib(m.external), arrayBuffersMiB: +mib(m.arrayBuffers), rssMiB: +mib(m.rss) });
  console.error(`after ${sent} requests: heap ${mib(m.heapUsed)} MiB, external ${mib(m.external)} MiB, array buffers ${mib(m.arrayBuffers)} MiB, RSS ${mib(m.rss)} MiB`);
}
await server.close();
await detector.dispose();
console.log(JSON.stringify({ model: 'tiny-aaclip fixture (image size 48, adapters), node/cpu', rounds: rows }, null, 2));
