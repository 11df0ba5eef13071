// Importing the package registers the "web" backend (devices webgpu, wasm).
import './register.js';

export { createWebBackend, WEB_DEVICES, type WebDevice } from './onnxruntimeWebBackend.js';
export { WEB_BACKEND_PRIORITY } from './register.js';
export {
  configureWebRuntime,
  defaultWasmThreads,
  webRuntimeInfo,
  MAX_DEFAULT_WASM_THREADS,
  type WebRuntimeInfo,
  type WebRuntimeSettings,
} from './webRuntimeSettings.js';
export { requestWebGpuAdapter, type WebGpuAdapterDescription } from './webgpuAdapter.js';
export { readImageHeader, IMAGE_HEADER_BYTES, type ImageFormat, type ImageHeader } from './image/imageDimensions.js';
export { decodeImageBlob, MAX_BROWSER_IMAGE_PIXELS, type DecodeImageOptions } from './image/decodeImageBlob.js';
export { readBlobWithProgress, fetchWithProgress, type ByteProgress } from './files/readWithProgress.js';
export { fetchBundle, type BundleProgress } from './files/fetchBundle.js';
// Model files held in memory → a DetectorModel (core's, re-exported for browser users of this package).
export { detectorModelFromBytes, readWeightsBytes, type ModelFileBytes, type NamedBytes } from '@aaclip/core';
