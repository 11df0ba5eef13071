// The demo page: pick a model (files or URLs), an image, a class name and a domain; see the
// anomaly heatmap and the image score. Everything runs in this tab (WebGPU, or wasm).
import { PRECISIONS, type AnomalyDetector, type Detection, type Domain, type Precision, type RawImage } from '@aaclip/core';
import { configureWebRuntime, decodeImageBlob, detectorModelFromBytes, fetchBundle, requestWebGpuAdapter, webRuntimeInfo, type WebRuntimeInfo } from '@aaclip/backend-web';
import { byId, formatBytes } from './dom.js';
import { drawView, heatmapCanvas } from './heatmapOverlay.js';
import { readModelSource, startBundleDetector, startDetector, type DeviceChoice, type ModelSource } from './modelLoading.js';

type PageState = 'starting' | 'idle' | 'loading' | 'ready' | 'running';

/** What the page exposes for scripts and tests: its state, device and last result. */
interface DemoHandle {
  state: PageState;
  device: string | null;
  lastDetection: (Detection & { milliseconds: number }) | null;
  lastError: string | null;
  /** What onnxruntime-web's wasm runtime runs with (threads, cross-origin isolation, SIMD). */
  runtime: WebRuntimeInfo | null;
}

const handle: DemoHandle = { state: 'starting', device: null, lastDetection: null, lastError: null, runtime: null };
(globalThis as { aaclipDemo?: DemoHandle }).aaclipDemo = handle;

const el = {
  device: byId('device', HTMLElement),
  tabFiles: byId('tab-files', HTMLButtonElement),
  tabUrls: byId('tab-urls', HTMLButtonElement),
  fromFiles: byId('from-files', HTMLDivElement),
  fromUrls: byId('from-urls', HTMLDivElement),
  tabBundle: byId('tab-bundle', HTMLButtonElement),
  fromBundle: byId('from-bundle', HTMLDivElement),
  bundleUrl: byId('bundle-url', HTMLInputElement),
  weightsFile: byId('weights-file', HTMLInputElement),
  configFile: byId('config-file', HTMLInputElement),
  vocabFile: byId('vocab-file', HTMLInputElement),
  adaptersFile: byId('adapters-file', HTMLInputElement),
  weightsUrl: byId('weights-url', HTMLInputElement),
  configUrl: byId('config-url', HTMLInputElement),
  vocabUrl: byId('vocab-url', HTMLInputElement),
  adaptersUrl: byId('adapters-url', HTMLInputElement),
  imageSize: byId('image-size', HTMLInputElement),
  deviceChoice: byId('device-choice', HTMLSelectElement),
  precision: byId('precision', HTMLSelectElement),
  loadModel: byId('load-model', HTMLButtonElement),
  progress: byId('load-progress', HTMLProgressElement),
  loadStatus: byId('load-status', HTMLElement),
  dropZone: byId('drop-zone', HTMLDivElement),
  imageFile: byId('image-file', HTMLInputElement),
  imageName: byId('image-name', HTMLElement),
  className: byId('class-name', HTMLInputElement),
  domain: byId('domain', HTMLSelectElement),
  detect: byId('detect', HTMLButtonElement),
  view: byId('view', HTMLCanvasElement),
  score: byId('score', HTMLOutputElement),
  pixelMax: byId('pixel-max', HTMLOutputElement),
  timing: byId('timing', HTMLOutputElement),
  opacity: byId('opacity', HTMLInputElement),
  error: byId('error', HTMLDivElement),
};

// onnxruntime-web's wasm runtime is served beside the page (see serveDemo.mjs). wasm threads: one
// per core on a cross-origin-isolated page (serveDemo.mjs sends the headers), 1 otherwise;
// `?threads=N` asks for N.
const threadsAsked = Number(new URLSearchParams(location.search).get('threads') ?? 'NaN');
configureWebRuntime({
  wasmPaths: new URL('ort/', document.baseURI).href,
  ...(Number.isInteger(threadsAsked) && threadsAsked >= 1 ? { numThreads: threadsAsked } : {}),
});
handle.runtime = webRuntimeInfo();

/** "2 threads, SIMD" (or why there is one thread), for the load status. */
function describeWasmRuntime(info: WebRuntimeInfo): string {
  const threads = `${info.numThreads ?? 'default'} thread${info.numThreads === 1 ? '' : 's'}`;
  const why = info.numThreads === 1 && !info.crossOriginIsolated ? ' (the page is not cross-origin isolated)' : '';
  return `wasm: ${threads}${why}${info.simd ? ', SIMD' : ''}.`;
}

/** Where the loaded model came from (kept to restart it when the settings change). */
let loadedSource: ModelSource | null = null;
let detector: AnomalyDetector | null = null;
/** Settings the running detector was made with; a change of domain or size needs a new one. */
let detectorKey = '';
let image: { name: string; bitmap: ImageBitmap; pixels: RawImage } | null = null;
let heatmap: OffscreenCanvas | null = null;

function setState(state: PageState): void {
  handle.state = state;
  document.body.dataset.state = state;
  const busy = state === 'loading' || state === 'running' || state === 'starting';
  el.loadModel.disabled = busy;
  el.detect.disabled = busy || !loadedSource || !image;
}

function showError(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  handle.lastError = message;
  el.error.textContent = message;
  el.error.hidden = false;
  console.error(err);
}

function clearError(): void {
  handle.lastError = null;
  el.error.hidden = true;
  el.error.textContent = '';
}

function showProgress(label: string, fraction: number | undefined): void {
  el.progress.hidden = false;
  if (fraction === undefined) el.progress.removeAttribute('value');
  else el.progress.value = fraction;
  el.loadStatus.textContent = label;
}

function hideProgress(label: string): void {
  el.progress.hidden = true;
  el.loadStatus.textContent = label;
}

type SourceTab = 'files' | 'urls' | 'bundle';

function selectTab(tab: SourceTab): void {
  const tabs = [['files', el.tabFiles, el.fromFiles], ['urls', el.tabUrls, el.fromUrls], ['bundle', el.tabBundle, el.fromBundle]] as const;
  for (const [name, button, panel] of tabs) {
    button.setAttribute('aria-selected', String(name === tab));
    panel.hidden = name !== tab;
  }
}

function modelSource(): ModelSource {
  if (el.tabBundle.getAttribute('aria-selected') === 'true') {
    const value = el.bundleUrl.value.trim();
    if (!value) throw new Error('Give the bundle folder URL.');
    return { kind: 'bundle', url: new URL(value, document.baseURI).href };
  }
  const urls = el.tabUrls.getAttribute('aria-selected') === 'true';
  if (urls) {
    const need = (input: HTMLInputElement, what: string): string => {
      const value = input.value.trim();
      if (!value) throw new Error(`Give the ${what} URL.`);
      return new URL(value, document.baseURI).href;
    };
    const adapters = el.adaptersUrl.value.trim();
    return {
      kind: 'urls',
      weights: need(el.weightsUrl, 'weights'),
      config: need(el.configUrl, 'config'),
      vocabulary: need(el.vocabUrl, 'vocabulary'),
      adapters: adapters ? [new URL(adapters, document.baseURI).href] : [],
    };
  }
  const need = (input: HTMLInputElement, what: string): File => {
    const file = input.files?.[0];
    if (!file) throw new Error(`Choose the ${what} file.`);
    return file;
  };
  return {
    kind: 'files',
    weights: need(el.weightsFile, 'weights'),
    config: need(el.configFile, 'config'),
    vocabulary: need(el.vocabFile, 'vocabulary'),
    adapters: [...(el.adaptersFile.files ?? [])],
  };
}

/** The precision picked for a model built from weights; null for a bundle, which has its own. */
function precisionFor(source: ModelSource): Precision | null {
  return source.kind === 'bundle' ? null : (PRECISIONS.find((p) => p === el.precision.value) ?? 'fp32');
}

function currentSettings(): { imageSize: number; domain: Domain } {
  const imageSize = Number(el.imageSize.value);
  if (!Number.isInteger(imageSize) || imageSize < 1) throw new Error(`Image size must be a positive whole number, not "${el.imageSize.value}".`);
  return { imageSize, domain: el.domain.value === 'medical' ? 'medical' : 'industrial' };
}

/**
 * Reads the model from its source and starts a detector for the current settings. The page keeps
 * no weights: the detector holds the model in the runtime only, and a change of settings reads
 * the source again (picked files from disk, URLs from the network).
 */
async function startFromSource(source: ModelSource): Promise<AnomalyDetector> {
  let settings = currentSettings();
  const choice = el.deviceChoice.value as DeviceChoice;
  const started = performance.now();
  const onBytes = (label: string, loaded: number, total: number | undefined): void =>
    showProgress(`${label}: ${formatBytes(loaded)}${total ? ` of ${formatBytes(total)}` : ''}`, total ? loaded / total : undefined);
  const onStage = (stage: string): void => showProgress(`${stage}…`, undefined);
  const onFallback = (reason: string): void => showProgress(`WebGPU could not hold the model (${reason}); using wasm…`, undefined);
  let next: AnomalyDetector;
  if (source.kind === 'bundle') {
    // A bundle's graphs are built for one image size: the page takes it from the manifest.
    const bundle = await fetchBundle(source.url, (file, loaded, total) => onBytes(`reading bundle (${file})`, loaded, total));
    el.imageSize.value = String(bundle.manifest.imageSize);
    settings = currentSettings();
    if (detector) await detector.dispose();
    detector = null;
    next = await startBundleDetector(bundle, settings.domain, choice, onStage, onFallback);
  } else {
    const bytes = await readModelSource(source, onBytes);
    showProgress('reading tensors…', undefined);
    const model = await detectorModelFromBytes(bytes);
    if (detector) await detector.dispose();
    detector = null;
    next = await startDetector(model, settings, choice, onStage, onFallback, precisionFor(source) ?? 'fp32');
  }
  detector = next;
  detectorKey = JSON.stringify([settings, choice, precisionFor(source)]);
  handle.device = next.device;
  el.device.textContent = next.device === 'webgpu' ? 'WebGPU' : 'WebAssembly (wasm)';
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  handle.runtime = webRuntimeInfo();
  const runtimeNote = next.device === 'wasm' ? ` ${describeWasmRuntime(handle.runtime)}` : '';
  const precision = precisionFor(source);
  const precisionNote = precision && precision !== 'fp32' ? `, ${precision}` : '';
  hideProgress(
    `Model ready on ${next.device} (${settings.imageSize}×${settings.imageSize}, ${settings.domain}${precisionNote}). Loaded in ${seconds} s.${runtimeNote}`,
  );
  return next;
}

/** The detector for the current settings, restarted from the model's source when they changed. */
async function currentDetector(): Promise<AnomalyDetector> {
  if (!loadedSource) throw new Error('Load a model first.');
  const key = JSON.stringify([currentSettings(), el.deviceChoice.value, precisionFor(loadedSource)]);
  if (detector && detectorKey === key) return detector;
  return startFromSource(loadedSource);
}

async function loadModel(): Promise<void> {
  clearError();
  setState('loading');
  try {
    const source = modelSource();
    loadedSource = null;
    await startFromSource(source);
    loadedSource = source;
  } catch (err) {
    if (detector) await detector.dispose();
    detector = null;
    hideProgress('No model loaded.');
    showError(err);
  } finally {
    setState(loadedSource ? 'ready' : 'idle');
  }
}

async function chooseImage(file: File): Promise<void> {
  clearError();
  try {
    // One decode: the pixels for the model, and the picture shown is made from them.
    const pixels = await decodeImageBlob(file, file.name);
    const rgba = new ImageData(new Uint8ClampedArray(pixels.data.buffer as ArrayBuffer, pixels.data.byteOffset, pixels.data.byteLength), pixels.width, pixels.height);
    const bitmap = await createImageBitmap(rgba);
    image?.bitmap.close();
    image = { name: file.name, bitmap, pixels };
    heatmap = null;
    el.imageName.textContent = `${file.name} (${bitmap.width}×${bitmap.height})`;
    el.score.value = el.pixelMax.value = el.timing.value = '–';
    drawView(el.view, bitmap, null, 0);
  } catch (err) {
    showError(err);
  } finally {
    setState(handle.state === 'starting' ? 'idle' : handle.state);
  }
}

async function detect(): Promise<void> {
  if (!image) return;
  clearError();
  setState('running');
  try {
    const current = await currentDetector();
    const className = el.className.value.trim();
    if (!className) throw new Error('Give the class name (e.g. "bottle").');
    const started = performance.now();
    const [detection] = await current.detect([image.pixels], className);
    const milliseconds = performance.now() - started;
    handle.lastDetection = { ...detection!, milliseconds };
    heatmap = heatmapCanvas(detection!);
    drawView(el.view, image.bitmap, heatmap, Number(el.opacity.value));
    el.score.value = detection!.imageScore.toFixed(4);
    el.pixelMax.value = detection!.pixelMax.toFixed(3);
    el.timing.value = `${milliseconds.toFixed(0)} ms on ${current.device}`;
  } catch (err) {
    showError(err);
  } finally {
    setState(loadedSource ? 'ready' : 'idle');
  }
}

function wireDropZone(): void {
  // Dropping a file anywhere else must not navigate away from the page.
  for (const type of ['dragover', 'drop'] as const) window.addEventListener(type, (e) => e.preventDefault());
  el.dropZone.addEventListener('dragover', (e) => {
    e.preventDefault();
    el.dropZone.classList.add('dragging');
  });
  el.dropZone.addEventListener('dragleave', () => el.dropZone.classList.remove('dragging'));
  el.dropZone.addEventListener('drop', (e) => {
    e.preventDefault();
    el.dropZone.classList.remove('dragging');
    const file = e.dataTransfer?.files[0];
    if (file) void chooseImage(file);
  });
  el.dropZone.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') el.imageFile.click();
  });
}

async function showDeviceSupport(): Promise<void> {
  try {
    const adapter = await requestWebGpuAdapter();
    const name = [adapter.vendor, adapter.architecture].filter(Boolean).join(' ');
    el.device.textContent = `WebGPU available${name ? ` (${name})` : ''}`;
  } catch (err) {
    el.device.textContent = 'WebAssembly (wasm)';
    el.device.title = err instanceof Error ? err.message : String(err);
  }
}

el.tabFiles.addEventListener('click', () => selectTab('files'));
el.tabUrls.addEventListener('click', () => selectTab('urls'));
el.tabBundle.addEventListener('click', () => selectTab('bundle'));
el.loadModel.addEventListener('click', () => void loadModel());
el.detect.addEventListener('click', () => void detect());
el.imageFile.addEventListener('change', () => {
  const file = el.imageFile.files?.[0];
  if (file) void chooseImage(file);
  el.imageFile.value = ''; // choosing the same file again fires "change" again
});
el.opacity.addEventListener('input', () => {
  if (image) drawView(el.view, image.bitmap, heatmap, Number(el.opacity.value));
});
wireDropZone();
void showDeviceSupport().finally(() => setState('idle'));
