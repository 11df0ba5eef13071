import * as ort from 'onnxruntime-web';
import { hardwareConcurrency, wasmThreadsPossible } from './runtimeEnvironment.js';

export interface WebRuntimeSettings {
  /**
   * Where onnxruntime-web's `ort-wasm-*.mjs` / `.wasm` files are served (a URL prefix ending in
   * "/"). Needed when the package is bundled; unbundled imports find them beside onnxruntime-web.
   */
  readonly wasmPaths?: string;
  /** wasm worker threads; default: `defaultWasmThreads()`. */
  readonly numThreads?: number;
}

/**
 * The thread count used when none is given: one per core up to 4, 1 where threads cannot run
 * (a page that is not cross-origin isolated), and undefined (onnxruntime-web's own choice) where
 * the host does not report its cores (Node 20 has no navigator).
 */
export function defaultWasmThreads(): number | undefined {
  if (!wasmThreadsPossible()) return 1;
  const cores = hardwareConcurrency();
  return cores === undefined ? undefined : Math.min(4, cores);
}

let applied = false;

/**
 * Sets onnxruntime-web's global wasm flags. onnxruntime-web reads them once, when its first
 * session starts, so call this before creating a session; later calls change nothing that runs.
 */
export function configureWebRuntime(settings: WebRuntimeSettings = {}): void {
  if (settings.wasmPaths !== undefined) ort.env.wasm.wasmPaths = settings.wasmPaths;
  const threads = settings.numThreads ?? (applied ? undefined : defaultWasmThreads());
  if (threads !== undefined) ort.env.wasm.numThreads = threads;
  applied = true;
}

/** Applies the defaults unless `configureWebRuntime` already ran. */
export function ensureWebRuntimeConfigured(): void {
  if (!applied) configureWebRuntime();
}
