// Bundles: a detector exported as ONNX graphs, tokenizer, anchors and a manifest (see bundleManifest.ts).
export * from './bundleManifest.js';
export * from './buildBundle.js';
export * from './openBundle.js';
export { backboneName } from './backboneName.js';
export { webCryptoSha256, type Sha256Function } from './sha256.js';
