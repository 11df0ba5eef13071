// Measures AA-CLIP in this browser tab (driven by scripts/bench-browser.mjs): loads a model by URL,
// starts a detector on the web backend, computes one class's anchors, then times a warm-up pass
// and `images` passes over a synthetic photo. Query:
//   ?model=<folder URL>&config=<name>&weights=<name>&adapters=<name, optional>&vocab=<URL>
//   &device=wasm|webgpu&threads=<n>&size=518&images=2&precision=fp32|fp16|int8
// Timings and memory go to `window.aaclipBench` (and the page's text) as they are measured.
import { AnomalyDetector, PRECISIONS, type DetectorOptions, type Precision } from '@aaclip/core';
import { configureWebRuntime, detectorModelFromBytes, fetchWithProgress, webRuntimeInfo, type WebRuntimeInfo } from '@aaclip/backend-web';
import { byId } from './dom.js';

interface MemorySample {
  readonly at: string;
  /** performance.measureUserAgentSpecificMemory() bytes (cross-origin-isolated pages only). */
  readonly userAgentBytes: number | null;
  /** Its breakdown by memory type (e.g. "JavaScript", "Shared": the wasm memory of a threaded build). */
  readonly userAgentByType: Record<string, number>;
  /** The JavaScript heap (performance.memory, Chromium). */
  readonly jsHeapBytes: number | null;
}

interface BenchHandle {
  state: 'running' | 'done' | 'error';
  error: string | null;
  runtime: WebRuntimeInfo | null;
  device: string | null;
  /** Seconds since the page started, per stage, as each stage begins. */
  stages: Record<string, number>;
  readSeconds: number | null;
  setupSeconds: number | null;
  anchorsSeconds: number | null;
  warmUpSeconds: number | null;
  runs: number[];
  imageScore: number | null;
  memory: MemorySample[];
}

const handle: BenchHandle = {
  state: 'running',
  error: null,
  runtime: null,
  device: null,
  stages: {},
  readSeconds: null,
  setupSeconds: null,
  anchorsSeconds: null,
  warmUpSeconds: null,
  runs: [],
  imageScore: null,
  memory: [],
};
(globalThis as { aaclipBench?: BenchHandle }).aaclipBench = handle;
const output = byId('report', HTMLPreElement);
const started = performance.now();
const since = (t: number): number => +((performance.now() - t) / 1000).toFixed(3);

function show(): void {
  output.textContent = JSON.stringify(handle, null, 2);
}

type MeasureMemory = () => Promise<{ bytes: number; breakdown: { bytes: number; types: string[] }[] }>;

async function sampleMemory(at: string): Promise<void> {
  const measure = (performance as unknown as { measureUserAgentSpecificMemory?: MeasureMemory }).measureUserAgentSpecificMemory;
  let userAgentBytes: number | null = null;
  const userAgentByType: Record<string, number> = {};
  if (typeof measure === 'function' && globalThis.crossOriginIsolated) {
    try {
      const result = await measure.call(performance);
      userAgentBytes = result.bytes;
      for (const entry of result.breakdown) {
        const type = entry.types.join('+') || 'other';
        userAgentByType[type] = (userAgentByType[type] ?? 0) + entry.bytes;
      }
    } catch {
      userAgentBytes = null;
    }
  }
  const heap = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
  handle.memory.push({ at, userAgentBytes, userAgentByType, jsHeapBytes: heap ? heap.usedJSHeapSize : null });
  show();
}

function parsePrecision(text: string): Precision {
  const found = PRECISIONS.find((p) => p === text);
  if (!found) throw new Error(`?precision= takes ${PRECISIONS.join(', ')}, not "${text}"`);
  return found;
}

function need(query: URLSearchParams, name: string): string {
  const value = query.get(name);
  if (!value) throw new Error(`the page needs ?${name}=`);
  return value;
}

async function main(): Promise<void> {
  const query = new URLSearchParams(location.search);
  const threads = query.get('threads');
  configureWebRuntime({ wasmPaths: new URL('ort/', document.baseURI).href, ...(threads ? { numThreads: Number(threads) } : {}) });
  handle.runtime = webRuntimeInfo();
  const device = query.get('device') ?? 'wasm';
  const imageSize = Number(query.get('size') ?? '518');
  const images = Number(query.get('images') ?? '2');
  const precision = query.get('precision');
  const base = new URL(need(query, 'model'), document.baseURI);
  const file = (name: string): string => new URL(name, base).href;

  let t = performance.now();
  const adapters = query.get('adapters');
  const get = async (name: string, url: string) => ({ name, bytes: await fetchWithProgress(url) });
  const [config, weights, vocabulary, adapterFile] = await Promise.all([
    get(need(query, 'config'), file(need(query, 'config'))),
    get(need(query, 'weights'), file(need(query, 'weights'))),
    get('bpe_simple_vocab_16e6.txt.gz', need(query, 'vocab')),
    adapters ? get(adapters, file(adapters)) : Promise.resolve(null),
  ]);
  handle.readSeconds = since(t);
  await sampleMemory('files read');

  t = performance.now();
  let model: Awaited<ReturnType<typeof detectorModelFromBytes>> | null = await detectorModelFromBytes({
    config,
    weights,
    vocabulary,
    adapters: adapterFile ? [adapterFile] : [],
  });
  const options: DetectorOptions = {
    backend: 'web',
    device,
    settings: { imageSize },
    onProgress: (stage) => {
      handle.stages[stage] = since(started);
      show();
    },
    ...(precision ? { precision: parsePrecision(precision) } : {}),
  };
  const detector = await AnomalyDetector.create(model, options);
  model = null; // the detector keeps no weights; neither does the page from here on
  handle.setupSeconds = since(t);
  handle.device = detector.device;
  handle.runtime = webRuntimeInfo();
  await sampleMemory('detector ready');

  t = performance.now();
  await detector.anchors('object');
  handle.anchorsSeconds = since(t);

  // A synthetic 640×480 RGB photo, preprocessed once as the pipeline does.
  const photo = new Uint8Array(640 * 480 * 3);
  for (let i = 0; i < photo.length; i++) photo[i] = (i * 2654435761) >>> 24;
  const pixels = detector.preprocess({ width: 640, height: 480, channels: 3, bitDepth: 8, data: photo });

  t = performance.now();
  const [warm] = await detector.detect([pixels], 'object');
  handle.warmUpSeconds = since(t);
  handle.imageScore = warm!.imageScore;
  await sampleMemory('after warm-up');
  for (let i = 0; i < images; i++) {
    t = performance.now();
    await detector.detect([pixels], 'object');
    handle.runs.push(since(t));
    show();
  }
  await sampleMemory('after runs');
  await detector.dispose();
  handle.state = 'done';
  show();
}

main().catch((err: unknown) => {
  handle.error = err instanceof Error ? err.message : String(err);
  handle.state = 'error';
  show();
});
