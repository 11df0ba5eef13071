import * as ort from 'onnxruntime-web';
import { describe, expect, it, vi } from 'vitest';
import { configureWebRuntime, defaultWasmThreads, MAX_DEFAULT_WASM_THREADS, webRuntimeInfo } from '../src/index.js';

// Node is a host where wasm threads can run (no isolation needed). The browser's side — isolated
// pages, the one-thread fallback — is checked in Chromium (test/e2e/wasmThreads.e2e.ts).
describe('wasm runtime settings', () => {
  it('reports what the runtime runs with, SIMD included', () => {
    const info = webRuntimeInfo();
    expect(info).toMatchObject({ crossOriginIsolated: true, threadsPossible: true, simd: true });
  });

  it('takes an explicit thread count and refuses one that is not a whole number ≥ 1, naming the option', () => {
    configureWebRuntime({ numThreads: 3 });
    expect(ort.env.wasm.numThreads).toBe(3);
    expect(webRuntimeInfo().numThreads).toBe(3);
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => configureWebRuntime({ numThreads: bad })).toThrow(`numThreads: must be a whole number ≥ 1, got ${bad}`);
    }
    expect(ort.env.wasm.numThreads).toBe(3);
  });

  it('defaults to every core the host reports, up to 16', () => {
    try {
      vi.stubGlobal('navigator', { hardwareConcurrency: 6 });
      expect(defaultWasmThreads()).toBe(6);
      vi.stubGlobal('navigator', { hardwareConcurrency: 64 });
      expect(defaultWasmThreads()).toBe(MAX_DEFAULT_WASM_THREADS);
      expect(MAX_DEFAULT_WASM_THREADS).toBe(16);
      // A host that does not say (Node 20 has no navigator): onnxruntime-web's own choice.
      vi.stubGlobal('navigator', undefined);
      expect(defaultWasmThreads()).toBeUndefined();
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
