// @aaclip/eval public API: metrics, the AA-CLIP evaluation protocol, reports and heatmaps (all
// of '@aaclip/eval/browser'), plus the Node part: PNG encoding, report and result files, and
// evaluating a dataset. File I/O comes from '@aaclip/node-io', which depends on no runtime and
// registers no backend: importing this package registers nothing.
export * from './browser.js';
export * from './report/pngEncoding.js';
export * from './report/writeReports.js';
export * from './run/mapDetector.js';
export * from './run/classMapsFile.js';
export * from './run/classResultFile.js';
export * from './run/galleryImage.js';
export * from './run/overlayPng.js';
export * from './run/evaluateDataset.js';
export * from './run/outputNames.js';
export * from './run/staleFiles.js';
