// The runtime backends a model runs on: node (onnxruntime-node, priority 2) before web
// (onnxruntime-web's wasm and WebGPU, priority 1). Imported for its side effect by the commands
// that start a model, and only by them: the others never load onnxruntime.
import '@aaclip/backend-node';
import '@aaclip/backend-web';
