// `@aaclip/node-io`: the Node implementations of the I/O core describes (FileIo) and the model-file
// readers, with no side effect. It depends on core and sharp only — no runtime: it registers no
// backend and never loads onnxruntime-node, so packages that only read and write files
// (@aaclip/datasets, @aaclip/eval) depend on it and installing them brings no onnxruntime.
// @aaclip/backend-node re-exports all of it (from its main entry and its `./node-io` subpath).
import type { FileIo } from '@aaclip/core';
import { decodeImageFile } from './decodeImage.js';
import { readRegularFile } from './files/readRegularFile.js';
import { writeFileAtomic } from './files/writeFileAtomic.js';

export { decodeImageFile, decodeImageBytes } from './decodeImage.js';
export { checkPixelCount, MAX_IMAGE_PIXELS, type DecodeImageOptions } from './pixelLimit.js';
export { writeFileAtomic } from './files/writeFileAtomic.js';
export { readRegularFile, MAX_FILE_BYTES, type InputFileKind } from './files/readRegularFile.js';
export { findModelFiles, scanModelFolder, missingModelFileProblem, loadModelFiles, loadTokenizer, readModelConfig, readWeightsFile, MODEL_DIR_FILES, type ModelFiles, type FoundModelFiles } from './files/loadModelFiles.js';
export { MAX_FILE_NAME_BYTES, utf8Prefix } from './files/fileNames.js';
export { defaultCacheDir } from './files/cacheDir.js';
export { checkBundleTarget, isBundleDir, nodeSha256, openBundleDir, readBundleManifest, writeBundleDir } from './files/bundleDir.js';

/**
 * Node's file I/O: images decoded with sharp (BMP by hand), regular files only (no FIFO, device or
 * folder), files written through a temporary file and a rename.
 */
export const nodeFileIo: FileIo = {
  decodeImage: decodeImageFile,
  readFile: (file) => readRegularFile(file, 'data'),
  writeFileAtomic,
};
