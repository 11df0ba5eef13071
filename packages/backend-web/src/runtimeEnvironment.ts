/** Facts about the JavaScript host that decide which devices onnxruntime-web can offer. */

interface NodeProcessLike {
  readonly versions?: { readonly node?: string };
}

/** True under Node.js (where onnxruntime-web resolves to its wasm-only Node entry). */
export function isNodeRuntime(): boolean {
  const process = (globalThis as { process?: NodeProcessLike }).process;
  return typeof process?.versions?.node === 'string';
}

/** Logical CPU cores the host reports, or undefined when it does not say. */
export function hardwareConcurrency(): number | undefined {
  const navigator = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  const cores = navigator?.hardwareConcurrency;
  return typeof cores === 'number' && cores > 0 ? cores : undefined;
}

/** Whether SharedArrayBuffer-backed wasm threads can run (cross-origin isolated pages, or Node). */
export function wasmThreadsPossible(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  if (isNodeRuntime()) return true;
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}
