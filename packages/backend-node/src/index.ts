// Importing the package registers the "node" backend (devices cuda, cpu, webgpu).
import './register.js';

export { createNodeBackend, CUDA_INSTALL_HINT, defaultThreads } from './onnxruntimeNodeBackend.js';
export { NODE_BACKEND_PRIORITY } from './register.js';
// The file I/O from @aaclip/node-io, also importable without registering anything from
// '@aaclip/backend-node/node-io' (or '@aaclip/node-io' itself).
export * from './nodeIo.js';
