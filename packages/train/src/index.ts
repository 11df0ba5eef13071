// @aaclip/train public API: training data, adapter initialisation, checkpoints, the training log
// and the trained adapters' file.
export * from './adapters/trainingStage.js';
export * from './data/trainingExample.js';
export * from './data/checkTrainingExamples.js';
export * from './data/loadTrainingData.js';
export * from './data/binaryMaskNearest.js';
export * from './data/loadTrainingImage.js';
export * from './data/trainingPixels.js';
export * from './checkpoint/checkpointFile.js';
export * from './checkpoint/checkpointLocation.js';
export * from './init/xavierUniform.js';
export * from './init/initialAdapters.js';
export * from './log/trainLog.js';
export * from './output/finalAdapters.js';
export * from './trainer/trainingModel.js';
export * from './trainer/trainAdapters.js';
export { epochBatches } from './trainer/batches.js';
