export * from './bilinearUpsampling.js';
export * from './crossEntropyLoss.js';
export * from './diceLoss.js';
export * from './focalLoss.js';
export * from './orthogonalityLoss.js';
export * from './segmentationLoss.js';
export * from './sumOfTerms.js';
