import type { Precision } from '../config/precision.js';
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
  /**
   * How much the runtime rewrites the graph while loading it (onnxruntime's graph optimisation
   * level). Omitted → 'all'. A model the runtime already optimised (see `optimizedModelPath`)
   * loads with 'disabled'. Every backend honours it.
   */
  readonly graphOptimization?: GraphOptimization;
  /**
   * Where the runtime writes the model as it optimised it for this device, to be loaded later
   * with `Backend.createSessionFromFile` and `graphOptimization: 'disabled'` (a disk cache of
   * optimised graphs). Its large initializers go to `<path>.data` beside it. The file is
   * specific to the device, the runtime version and (at 'all') the CPU it was made on. Backends
   * that cannot write files (web) ignore it.
   */
  readonly optimizedModelPath?: string;
  /**
   * Options handed to the device's execution provider as they are, e.g. `{ deviceId: 1 }` for
   * cuda. Omitted → the provider's defaults. Backends whose providers take none (web) ignore them.
   */
  readonly providerOptions?: Readonly<Record<string, string | number | boolean>>;
}

/** Graph optimisation levels (onnxruntime's): none, constant folding and simple fusions, plus complex fusions, plus layout changes. */
export type GraphOptimization = 'disabled' | 'basic' | 'extended' | 'all';

/** A loaded model on one device. Feeds and outputs are host tensors (F32 or I64). */
export interface BackendSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>>;
  dispose(): Promise<void>;
}

/**
 * What a backend runs on a device beyond plain float32 ONNX ops; the pipeline picks the graph
 * passes (fusions, precision) from it (see selectPasses).
 */
export interface DeviceCapabilities {
  /**
   * Operators outside the default ONNX domain the device runs well, as "domain:Op", e.g.
   * "com.microsoft:MultiHeadAttention".
   */
  readonly ops: readonly string[];
  /** Precisions the device runs ('fp32' always). */
  readonly precisions: readonly Precision[];
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
  /**
   * Loads a model from a file, its external data resolved beside it (optional: backends that
   * read files, e.g. node; used for cached optimised graphs, which the runtime can then map
   * rather than copy).
   */
  createSessionFromFile?(file: string, options: SessionOptions): Promise<BackendSession>;
  /** The runtime and its version, e.g. "onnxruntime-node 1.30.0" (part of cache keys). */
  readonly runtimeVersion?: string;
  /** What `device` runs (optional; omitted → plain ONNX ops in fp32). Throws for a device the backend does not offer. */
  capabilities?(device: string): DeviceCapabilities;
}
