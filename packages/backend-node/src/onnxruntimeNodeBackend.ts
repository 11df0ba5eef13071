import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  AaclipError,
  GraphBuilder,
  serializeModel,
  type Backend,
  type BackendSession,
  type ModelBytes,
  type DeviceCapabilities,
  type SessionOptions,
  type Tensor,
} from '@aaclip/core';
import { fromOrtTensor, toOrtTensor } from './tensorConversion.js';

/** How a CUDA user installs onnxruntime-node's CUDA provider (skipped by default, see README). */
export const CUDA_INSTALL_HINT =
  'the CUDA execution provider of onnxruntime-node is not installed; with CUDA 12 and network access run ' +
  '`ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js` in the project root';

const DEVICES = ['cuda', 'cpu', 'webgpu'] as const;

/**
 * What each device runs, as the conformance suite checks it (every precision and fusion here
 * passes it on the fixture). cpu: onnxruntime's CPU MultiHeadAttention keeps no [heads, tokens,
 * tokens] score tensors (about 450 MiB less while ViT-L runs at 518×518, at the speed of
 * MatMul/Softmax/MatMul); int8 through DynamicQuantizeMatMul (VNNI where the CPU has it); fp16
 * runs (onnxruntime casts the ops it has no float16 kernel for) but is not faster on CPU.
 * cuda has the same contrib ops and float16 kernels. webgpu (onnxruntime's native WebGPU
 * provider) is declared plain until it is checked on an adapter.
 */
const NODE_CAPABILITIES: Readonly<Record<(typeof DEVICES)[number], DeviceCapabilities>> = {
  cpu: {
    ops: ['com.microsoft:MultiHeadAttention', 'com.microsoft:Gelu', 'com.microsoft:QuickGelu', 'com.microsoft:DynamicQuantizeMatMul'],
    precisions: ['fp32', 'fp16', 'int8'],
  },
  cuda: { ops: ['com.microsoft:MultiHeadAttention', 'com.microsoft:Gelu', 'com.microsoft:QuickGelu'], precisions: ['fp32', 'fp16'] },
  webgpu: { ops: [], precisions: ['fp32'] },
};

function providerDirectory(): string {
  const require = createRequire(import.meta.url);
  const packageDir = path.dirname(require.resolve('onnxruntime-node/package.json'));
  return path.join(packageDir, 'bin', 'napi-v6', process.platform, process.arch);
}

/** Every core this process may run on. */
export function defaultThreads(): number {
  return Math.max(1, os.availableParallelism());
}

function executionProviders(device: string, providerOptions: SessionOptions['providerOptions'] = {}): ort.InferenceSession.ExecutionProviderConfig[] {
  if (device === 'cpu') return [{ ...providerOptions, name: 'cpu' }];
  if (device === 'cuda') return [{ deviceId: 0, ...providerOptions, name: 'cuda' }];
  if (device === 'webgpu') return [{ ...providerOptions, name: 'webgpu' }];
  throw new AaclipError(`device "${device}" is not offered by the node backend (devices: ${DEVICES.join(', ')})`);
}

/**
 * Runs a one-node model on a device. onnxruntime-node's webgpu (and cuda) providers accept the
 * request even without hardware and fail only when a session needs it; probing in `init` lets
 * backend resolution fall back and report the reason.
 */
async function probeDevice(device: string): Promise<void> {
  const g = new GraphBuilder('probe');
  const x = g.input('x', 'F32', [2]);
  g.output(g.add(x, x), 'y', 'F32', [2]);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(serializeModel(g.build()).model, { executionProviders: executionProviders(device), logSeverityLevel: 3 });
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
    if (message.includes('Failed to get a WebGPU adapter')) {
      throw new AaclipError('no WebGPU adapter (a GPU with Vulkan drivers is needed; without one, VK_ICD_FILENAMES can point at a software driver such as SwiftShader)');
    }
    // Keep the runtime's own words, without its source-file prefix.
    throw new AaclipError(`the ${device} provider could not start a session (${message.replace(/^\/\S+:\d+ \S+ /, '')})`);
  }
  try {
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array([1, 2]), [2]) });
    if ((out['y']?.data as Float32Array | undefined)?.[1] !== 4) throw new AaclipError(`the ${device} provider computed a wrong result`);
  } finally {
    await session.release();
  }
}

/** onnxruntime's session options for ours (see SessionOptions); the threads checked. */
function ortSessionOptions(options: SessionOptions): ort.InferenceSession.SessionOptions {
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) {
    throw new AaclipError(`must be a whole number ≥ 1, got ${options.threads}`, 'threads');
  }
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: executionProviders(options.device, options.providerOptions),
    graphOptimizationLevel: options.graphOptimization ?? 'all',
    logSeverityLevel: 3, // errors only: node-placement notes are not for users
    // onnxruntime-node leaves its intra-op pool at one thread on small machines unless told:
    // a ViT-L image pass then keeps one of two cores busy.
    intraOpNumThreads: options.threads ?? defaultThreads(),
  };
  if (options.optimizedModelPath !== undefined) {
    sessionOptions.optimizedModelFilePath = options.optimizedModelPath;
    // Initializers of 1 KiB and more go to one file beside the model, which the runtime maps
    // when it loads the model back (and which keeps a model over protobuf's 2 GiB writable).
    sessionOptions.extra = {
      session: {
        optimized_model_external_initializers_file_name: `${path.basename(options.optimizedModelPath)}.data`,
        optimized_model_external_initializers_min_size_in_bytes: '1024',
      },
    };
  }
  return sessionOptions;
}

class NodeSession implements BackendSession {
  constructor(private readonly session: ort.InferenceSession) {}
  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }
  async run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(name, tensor);
    const results = await this.session.run(ortFeeds);
    const out: Record<string, Tensor> = {};
    for (const [name, value] of Object.entries(results)) out[name] = fromOrtTensor(name, value as ort.Tensor);
    return out;
  }
  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** The Node.js backend: onnxruntime-node on cpu, cuda (when its provider is installed) or webgpu. */
export function createNodeBackend(): Backend {
  const probes = new Map<string, Promise<void>>();
  return {
    name: 'node',
    devices: DEVICES,
    runtimeVersion: `onnxruntime-node ${ort.env.versions.node ?? 'unknown'}`,
    async init(device: string): Promise<void> {
      executionProviders(device);
      const supported = ort.listSupportedBackends().map((b) => b.name);
      if (!supported.includes(device)) {
        throw new AaclipError(`onnxruntime-node ${ort.env.versions.node ?? ''} offers no "${device}" provider on ${process.platform}/${process.arch}`);
      }
      if (device === 'cuda' && !existsSync(path.join(providerDirectory(), 'libonnxruntime_providers_cuda.so'))) {
        throw new AaclipError(CUDA_INSTALL_HINT);
      }
      if (device !== 'cpu') {
        let probe = probes.get(device);
        if (!probe) {
          probe = probeDevice(device);
          probes.set(device, probe);
        }
        await probe;
      }
    },
    capabilities(device: string): DeviceCapabilities {
      executionProviders(device);
      return NODE_CAPABILITIES[device as (typeof DEVICES)[number]];
    },
    async createSession(model: ModelBytes, options: SessionOptions): Promise<BackendSession> {
      for (const file of model.externalData) {
        if (file.path.includes('/') || file.path.includes('\\') || file.path.startsWith('.')) {
          throw new AaclipError(`external data path "${file.path}" must be a plain file name`);
        }
      }
      // The model and its external data go to onnxruntime as they are, from memory: no copies,
      // no temporary files.
      const sessionOptions = ortSessionOptions(options);
      if (model.externalData.length > 0) sessionOptions.externalData = model.externalData.map((file) => ({ path: file.path, data: file.data }));
      return new NodeSession(await ort.InferenceSession.create(model.model, sessionOptions));
    },
    async createSessionFromFile(file: string, options: SessionOptions): Promise<BackendSession> {
      return new NodeSession(await ort.InferenceSession.create(file, ortSessionOptions(options)));
    },
  };
}
