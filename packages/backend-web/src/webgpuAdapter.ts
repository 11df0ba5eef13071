import { AaclipError } from '@aaclip/core';
import { isNodeRuntime } from './runtimeEnvironment.js';

/** What `navigator.gpu.requestAdapter()` reports about the adapter, as far as the page can see. */
export interface WebGpuAdapterDescription {
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  /** The adapter has 'shader-f16' (float16 arithmetic in shaders): what fp16 models need. */
  readonly shaderF16: boolean;
}

interface GpuAdapterLike {
  readonly info?: { vendor?: string; architecture?: string; description?: string };
  readonly features?: { has(name: string): boolean };
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}

/**
 * Finds a WebGPU adapter or fails with the reason a user can act on: no WebGPU in this runtime,
 * WebGPU present but no adapter (blocklisted GPU, headless without a software adapter, …).
 */
export async function requestWebGpuAdapter(): Promise<WebGpuAdapterDescription> {
  if (isNodeRuntime()) {
    throw new AaclipError(
      'onnxruntime-web runs on wasm only under Node.js; for WebGPU in Node use the node backend (--backend node --device webgpu)',
    );
  }
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (!gpu) throw new AaclipError('this browser offers no WebGPU (navigator.gpu is missing; it needs a secure context such as https or localhost)');
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    throw new AaclipError(`requesting a WebGPU adapter failed (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!adapter) throw new AaclipError('the browser has WebGPU but offers no adapter (GPU blocklisted or disabled)');
  const info = adapter.info ?? {};
  return { vendor: info.vendor ?? '', architecture: info.architecture ?? '', description: info.description ?? '', shaderF16: adapter.features?.has('shader-f16') ?? false };
}
