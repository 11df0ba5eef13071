// `@aaclip/backend-node/node-io`: kept so existing imports work. The Node file I/O and image
// decoding live in `@aaclip/node-io` (no runtime, no side effect); this entry re-exports it and,
// unlike the package's main entry, registers no backend and never loads onnxruntime-node.
export * from '@aaclip/node-io';
