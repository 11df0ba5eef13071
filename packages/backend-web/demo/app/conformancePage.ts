// Runs the conformance suite in the browser on the web backend: fixture files fetched from
// `?fixture=<folder URL>`, device from `?device=` (default webgpu), precision from `?precision=`
// (default fp32; the device must declare it). The report is shown and kept on
// `window.aaclipConformance` for scripts.
import { PRECISIONS, type Precision } from '@aaclip/core';
import { CONFORMANCE_FIXTURE_FILES, formatConformanceReport, runConformanceSuite, type ConformanceReport, type ConformanceFixtureFiles } from '@aaclip/core/testing';
import { configureWebRuntime, createWebBackend, fetchWithProgress } from '@aaclip/backend-web';
import { byId } from './dom.js';

interface ConformanceHandle {
  state: 'running' | 'done' | 'unavailable' | 'error';
  report: ConformanceReport | null;
  message: string | null;
}

const handle: ConformanceHandle = { state: 'running', report: null, message: null };
(globalThis as { aaclipConformance?: ConformanceHandle }).aaclipConformance = handle;
const output = byId('report', HTMLPreElement);

function finish(state: ConformanceHandle['state'], text: string): void {
  handle.state = state;
  handle.message = text;
  output.textContent = text;
  document.body.dataset.state = state;
}

async function main(): Promise<void> {
  configureWebRuntime({ wasmPaths: new URL('ort/', document.baseURI).href });
  const query = new URLSearchParams(location.search);
  const device = query.get('device') ?? 'webgpu';
  const precision = (query.get('precision') ?? 'fp32') as Precision;
  if (!PRECISIONS.includes(precision)) return finish('error', `?precision= must be one of ${PRECISIONS.join(', ')}`);
  const fixture = query.get('fixture');
  if (!fixture) return finish('error', 'Give the fixture folder URL: ?fixture=…');
  const base = new URL(fixture.endsWith('/') ? fixture : `${fixture}/`, document.baseURI);
  const backend = createWebBackend();
  try {
    await backend.init(device);
  } catch (err) {
    return finish('unavailable', `web/${device} unavailable: ${err instanceof Error ? err.message : String(err)}`);
  }
  const precisions = backend.capabilities?.(device).precisions ?? ['fp32'];
  if (!precisions.includes(precision)) return finish('unavailable', `web/${device} cannot run ${precision} here (it runs: ${precisions.join(', ')})`);
  output.textContent = `fetching the fixture from ${base.href}…`;
  const entries = await Promise.all(
    Object.entries(CONFORMANCE_FIXTURE_FILES).map(async ([key, name]) => [key, await fetchWithProgress(new URL(name, base).href)] as const),
  );
  const files = Object.fromEntries(entries) as unknown as ConformanceFixtureFiles;
  output.textContent = `running on web/${device}…`;
  const report = await runConformanceSuite(files, { backend, device, precision }, {
    onResult: (r) => (output.textContent += `\n${r.id}: ${r.passed ? 'ok' : 'FAIL'}`),
  });
  handle.report = report;
  finish('done', formatConformanceReport(report));
}

main().catch((err: unknown) => finish('error', err instanceof Error ? err.message : String(err)));
