// @aaclip/core public API. Runs in browsers: no Node-only APIs anywhere under src/.
export * from './errors/aaclipError.js';
export * from './tensor/tensor.js';
export * from './image/rawImage.js';
export * from './backend/backend.js';
export * from './backend/registry.js';
export * from './resample/antialiasedResize.js';
export * from './weights/safetensors.js';
export * from './config/modelConfig.js';
export * from './config/aaclipSettings.js';
export * from './config/promptSet.js';
export * from './config/zodIssue.js';
export * from './weights/clipWeights.js';
