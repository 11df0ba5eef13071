import * as ort from 'onnxruntime-web';
import { AaclipError, type Backend, type BackendSession, type DeviceCapabilities, type ModelBytes, type SessionOptions, type Tensor } from '@aaclip/core';
import { isNodeRuntime } from './runtimeEnvironment.js';
import { fromOrtTensor, toOrtTensor } from './tensorConversion.js';
import { requestWebGpuAdapter } from './webgpuAdapter.js';
import { ensureWebRuntimeConfigured } from './webRuntimeSettings.js';

/** Devices of the web backend, in order of preference. */
export const WEB_DEVICES = ['webgpu', 'wasm'] as const;
export type WebDevice = (typeof WEB_DEVICES)[number];

function checkDevice(device: string): WebDevice {
  if ((WEB_DEVICES as readonly string[]).includes(device)) return device as WebDevice;
  throw new AaclipError(`device "${device}" is not offered by the web backend (devices: ${WEB_DEVICES.join(', ')})`);
}

/**
 * What each device runs, as the conformance suite checks it. wasm: onnxruntime's CPU kernels,
 * the contrib ops included (the fused MultiHeadAttention halves the fixture's start-up), int8
 * through DynamicQuantizeMatMul. webgpu: the fused attention gets its attention bias expanded to
 * [batch, heads, N, N] by the pass (the kernel rejects a broadcast one); fp16 only where the
 * adapter has 'shader-f16' (known once `init('webgpu')` found it).
 */
const WASM_CAPABILITIES: DeviceCapabilities = {
  ops: ['com.microsoft:MultiHeadAttention', 'com.microsoft:Gelu', 'com.microsoft:QuickGelu', 'com.microsoft:DynamicQuantizeMatMul'],
  precisions: ['fp32', 'int8'],
};
const WEBGPU_OPS = ['com.microsoft:MultiHeadAttention', 'com.microsoft:Gelu', 'com.microsoft:QuickGelu'];

function checkWasm(): void {
  if (typeof WebAssembly !== 'object') throw new AaclipError('this runtime has no WebAssembly');
}

/** External data file names must stay plain names: they are looked up, not resolved as paths. */
function checkExternalPath(file: string): void {
  if (file === '' || file.includes('/') || file.includes('\\') || file.startsWith('.')) {
    throw new AaclipError(`external data path "${file}" must be a plain file name`);
  }
}

class WebSession implements BackendSession {
  private disposed = false;
  constructor(private readonly session: ort.InferenceSession) {}
  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }
  async run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    if (this.disposed) throw new AaclipError('the session was disposed');
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(name, tensor);
    const results = await this.session.run(ortFeeds);
    const out: Record<string, Tensor> = {};
    for (const [name, value] of Object.entries(results)) {
      // Outputs are downloaded to the CPU (the default output location), so `data` is readable.
      out[name] = fromOrtTensor(name, value);
      value.dispose();
    }
    return out;
  }
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.session.release();
  }
}

/**
 * The web backend: onnxruntime-web on WebGPU (browsers with an adapter) or WebAssembly (browsers
 * and Node.js). Large weights travel as onnxruntime-web external data, never through a file system.
 */
export function createWebBackend(): Backend {
  let shaderF16 = false;
  return {
    name: 'web',
    devices: WEB_DEVICES,
    capabilities: (device: string): DeviceCapabilities =>
      checkDevice(device) === 'wasm' ? WASM_CAPABILITIES : { ops: WEBGPU_OPS, precisions: shaderF16 ? ['fp32', 'fp16'] : ['fp32'] },
    async init(device: string): Promise<void> {
      const checked = checkDevice(device);
      checkWasm(); // the WebGPU provider also runs inside the wasm runtime
      if (checked === 'webgpu') shaderF16 = (await requestWebGpuAdapter()).shaderF16;
    },
    async createSession(model: ModelBytes, options: SessionOptions): Promise<BackendSession> {
      const device = checkDevice(options.device);
      if (device === 'webgpu' && isNodeRuntime()) await requestWebGpuAdapter(); // fails with the reason
      ensureWebRuntimeConfigured();
      for (const file of model.externalData) checkExternalPath(file.path);
      const sessionOptions: ort.InferenceSession.SessionOptions = {
        executionProviders: [device],
        // optimizedModelPath and providerOptions are not for onnxruntime-web (it writes no files;
        // its providers are configured through ort.env): they are ignored.
        graphOptimizationLevel: options.graphOptimization ?? 'all',
        externalData: model.externalData.map((file) => ({ path: file.path, data: file.data })),
      };
      let session: ort.InferenceSession;
      try {
        session = await ort.InferenceSession.create(model.model, sessionOptions);
      } catch (err) {
        const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
        throw new AaclipError(`onnxruntime-web could not load the model on ${device} (${reason})`);
      }
      return new WebSession(session);
    },
  };
}
