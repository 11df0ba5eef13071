// Importing the package registers the "node" backend (devices cuda, cpu, webgpu).
import './register.js';

export { createNodeBackend, CUDA_INSTALL_HINT, defaultThreads } from './onnxruntimeNodeBackend.js';
export { NODE_BACKEND_PRIORITY } from './register.js';
export { startCachedDetector, type CachedDetectorOptions, type CachedDetectorStart, type CacheReport, type LazySession } from './cache/cachedDetector.js';
export { CacheEntries, type EntryCheck, type EntryMiss, type UnverifiedEntry } from './cache/cacheEntries.js';
export { FileDigests } from './cache/fileDigests.js';
// The file I/O from @aaclip/node-io, also importable without registering anything from
// '@aaclip/backend-node/node-io' (or '@aaclip/node-io' itself).
export * from './nodeIo.js';
