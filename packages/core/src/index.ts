// @aaclip/core public API. Runs in browsers: no Node-only APIs anywhere under src/.
export * from './errors/aaclipError.js';
export * from './tensor/tensor.js';
export * from './image/rawImage.js';
