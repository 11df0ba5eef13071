import * as ort from 'onnxruntime-web';
import { AaclipError } from '@aaclip/core';
import { hardwareConcurrency, isNodeRuntime, wasmThreadsPossible } from './runtimeEnvironment.js';

export interface WebRuntimeSettings {
  /**
   * Where onnxruntime-web's `ort-wasm-*.mjs` / `.wasm` files are served (a URL prefix ending in
   * "/"). Needed when the package is bundled; unbundled imports find them beside onnxruntime-web.
   */
  readonly wasmPaths?: string;
  /** wasm threads (the calling thread plus numThreads − 1 workers); default: `defaultWasmThreads()`. */
  readonly numThreads?: number;
}

/** What onnxruntime-web's wasm runtime runs with (see `webRuntimeInfo`). */
export interface WebRuntimeInfo {
  /** The thread count handed to onnxruntime-web (1 = no workers). */
  readonly numThreads: number | undefined;
  /** Whether the page is cross-origin isolated (always true under Node, which needs no isolation). */
  readonly crossOriginIsolated: boolean;
  /** Whether this host can run wasm threads at all (SharedArrayBuffer and isolation). */
  readonly threadsPossible: boolean;
  /** The cores the host reports (navigator.hardwareConcurrency), if it says. */
  readonly cores: number | undefined;
  /** Whether the host's WebAssembly validates SIMD (onnxruntime-web ships only SIMD builds). */
  readonly simd: boolean;
}

/**
 * Upper bound of the default thread count: onnxruntime-web starts its workers at the first
 * session, each with its own stack and copy of the runtime's JavaScript, and ViT-L's matrix
 * products stop gaining well before that many threads.
 */
export const MAX_DEFAULT_WASM_THREADS = 16;

/**
 * The thread count used when none is given: every core the host reports (up to
 * MAX_DEFAULT_WASM_THREADS) where threads can run (cross-origin-isolated pages, Node), 1 where
 * they cannot (a page that is not cross-origin isolated), and undefined (onnxruntime-web's own
 * choice) where the host does not report its cores (Node 20 has no navigator).
 */
export function defaultWasmThreads(): number | undefined {
  if (!wasmThreadsPossible()) return 1;
  const cores = hardwareConcurrency();
  return cores === undefined ? undefined : Math.min(MAX_DEFAULT_WASM_THREADS, cores);
}

// A module with one v128 function (i32x4.splat of 0): it validates only where wasm SIMD exists.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

function wasmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

let applied = false;

/**
 * Sets onnxruntime-web's global wasm flags. onnxruntime-web reads them once, when its first
 * session starts, so call this before creating a session; later calls change nothing that runs.
 * On a page that is not cross-origin isolated, asking for more than one thread is reduced to one
 * (wasm threads need SharedArrayBuffer), with a console note saying why.
 */
export function configureWebRuntime(settings: WebRuntimeSettings = {}): void {
  if (settings.wasmPaths !== undefined) ort.env.wasm.wasmPaths = settings.wasmPaths;
  const asked = settings.numThreads;
  if (asked !== undefined && (!Number.isInteger(asked) || asked < 1)) {
    throw new AaclipError(`must be a whole number ≥ 1, got ${asked}`, 'numThreads');
  }
  let threads = asked ?? (applied ? undefined : defaultWasmThreads());
  if (!applied && threads !== undefined && threads > 1 && !wasmThreadsPossible()) threads = 1;
  if (!applied && !wasmThreadsPossible() && !isNodeRuntime()) {
    console.info(
      'aaclip: this page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and ' +
        'Cross-Origin-Embedder-Policy: require-corp), so onnxruntime-web runs wasm on 1 thread',
    );
  }
  if (threads !== undefined) ort.env.wasm.numThreads = threads;
  applied = true;
}

/** Applies the defaults unless `configureWebRuntime` already ran. */
export function ensureWebRuntimeConfigured(): void {
  if (!applied) configureWebRuntime();
}

/** What the wasm runtime runs (or will run) with: threads, isolation, cores, SIMD. */
export function webRuntimeInfo(): WebRuntimeInfo {
  const threads = ort.env.wasm.numThreads;
  return {
    numThreads: typeof threads === 'number' ? threads : undefined,
    crossOriginIsolated: isNodeRuntime() || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
    threadsPossible: wasmThreadsPossible(),
    cores: hardwareConcurrency(),
    simd: wasmSimdSupported(),
  };
}
