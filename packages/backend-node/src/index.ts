// Importing the package registers the "node" backend (devices cuda, cpu, webgpu).
import './register.js';

export { createNodeBackend, CUDA_INSTALL_HINT } from './onnxruntimeNodeBackend.js';
export { NODE_BACKEND_PRIORITY } from './register.js';
export { decodeImageFile, decodeImageBytes, MAX_IMAGE_PIXELS } from './decodeImage.js';
export { writeFileAtomic } from './files/writeFileAtomic.js';
export { findModelFiles, loadModelFiles, loadTokenizer, readModelConfig, readWeightsFile, MODEL_DIR_FILES, type ModelFiles } from './files/loadModelFiles.js';
export { readRegularFile, MAX_FILE_BYTES, type InputFileKind } from './files/readRegularFile.js';
export { MAX_FILE_NAME_BYTES, utf8Prefix } from './files/fileNames.js';
