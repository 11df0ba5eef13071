// @aaclip/eval/browser: the part of eval that runs anywhere — metrics, the AA-CLIP evaluation
// protocol, heatmap colouring and report rendering (Markdown, HTML, SVG curves, metrics tables).
// Nothing here imports a Node built-in, sharp or a runtime backend (eslint enforces it), and
// importing it registers nothing; the Node part (PNG encoding, file writing, running a dataset)
// is in the package's main entry.
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
export * from './protocol/classMetrics.js';
export * from './protocol/evaluateClass.js';
export * from './protocol/classEvaluator.js';
export * from './report/heatmapOverlay.js';
export * from './report/pngDataUrl.js';
export * from './report/svgCurve.js';
export * from './report/evaluationReport.js';
export * from './report/metricsTable.js';
export * from './report/reportMarkdown.js';
export * from './report/reportHtml.js';
