// The training loss graphs of both AA-CLIP stages, and the loss pieces they are made of.
export * from '../losses/index.js';
export * from './classAnchors.js';
export * from './imageStageLossGraph.js';
export * from './stageIo.js';
export * from './textStageLossGraph.js';
