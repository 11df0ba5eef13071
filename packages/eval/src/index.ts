// @aaclip/eval public API: metrics, the AA-CLIP evaluation protocol, reports and heatmaps.
export * from './metrics/scoreKeys.js';
export * from './metrics/distinctScoreGroups.js';
export * from './metrics/auroc.js';
export * from './metrics/averagePrecision.js';
export * from './metrics/f1max.js';
export * from './metrics/curves.js';
export * from './metrics/binaryMetrics.js';
export * from './metrics/connectedComponents.js';
export * from './metrics/radixSort.js';
export * from './metrics/aupro.js';
export * from './metrics/pixelMetrics.js';
export * from './protocol/minMaxNormalise.js';
export * from './protocol/binaryMask.js';
export * from './protocol/classMetrics.js';
export * from './protocol/evaluateClass.js';
export * from './protocol/classEvaluator.js';
