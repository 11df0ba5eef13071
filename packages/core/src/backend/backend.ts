import type { Tensor } from '../tensor/tensor.js';

/** An ONNX model as bytes, with its external-data files (large weights live outside the protobuf). */
export interface ModelBytes {
  readonly model: Uint8Array;
  readonly externalData: readonly { readonly path: string; readonly data: Uint8Array }[];
}

export interface SessionOptions {
  /** A device the backend offers, e.g. 'cpu', 'cuda', 'wasm', 'webgpu'. */
  readonly device: string;
  /**
   * Threads one model run may use for its CPU work (intra-op parallelism), ≥ 1. Omitted → the
   * backend's default; the node backend then uses every core the process may run on (onnxruntime
   * would otherwise leave one busy on small machines). Backends whose runtime sets threads
   * globally (onnxruntime-web's wasm) ignore it.
   */
  readonly threads?: number;
}

/** A loaded model on one device. Feeds and outputs are host tensors (F32 or I64). */
export interface BackendSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>>;
  dispose(): Promise<void>;
}

/**
 * How a backend would like the models it runs on a device to be built. Everything is optional;
 * an empty object (or no `modelPreferences` at all) means plain ONNX ops.
 */
export interface ModelPreferences {
  /** The runtime has onnxruntime's fused com.microsoft MultiHeadAttention kernel on this device. */
  readonly fusedAttention?: boolean;
}

/**
 * The whole contract a runtime backend fulfils. `init(device)` resolves when the device can be
 * used and rejects with the reason (shown to the user) when it cannot.
 */
export interface Backend {
  readonly name: string;
  /** Devices in order of preference. */
  readonly devices: readonly string[];
  init(device: string): Promise<void>;
  createSession(model: ModelBytes, options: SessionOptions): Promise<BackendSession>;
  /** Build choices for models run on `device` (optional; omitted → plain ONNX ops). */
  modelPreferences?(device: string): ModelPreferences;
}
