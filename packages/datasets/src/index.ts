// @aaclip/datasets public API. Importing the package registers the built-in formats.
import './registry/builtinDatasets.js';

export * from './sample/datasetSample.js';
export * from './check/datasetProblem.js';
export * from './registry/datasetFactory.js';
export * from './registry/datasetRegistry.js';
export * from './registry/openDataset.js';
export * from './registry/loadDatasetPlugins.js';
export * from './facts/datasetFacts.js';
export * from './facts/mvtecFacts.js';
export * from './facts/visaFacts.js';
export * from './facts/mpddFacts.js';
export * from './facts/btadFacts.js';
export * from './facts/medicalFacts.js';
export * from './facts/allFacts.js';
export { classTreeFormat, readClassTree, type ClassTreeLayout, type ClassTreeOptions } from './formats/classTree.js';
export { IMAGE_EXTENSIONS, isImageName } from './formats/folderListing.js';
export * from './check/checkDataset.js';
export { checkSampleImages, type ImageCheckOptions, type ImageVerification } from './check/checkSampleImages.js';
export * from './manifest/selectSamples.js';
export * from './manifest/manifestRecord.js';
export * from './manifest/writeManifest.js';
export * from './random/seededRandom.js';
export type { SynthDefect } from './synth/synthScene.js';
export {
  synthesizeDataset, planSynthClasses, renderSynthPicture, synthOptionsSchema,
  type SynthOptions, type SynthClass, type SynthPicture, type SynthSummary,
} from './synth/synthesizeDataset.js';
export * from './registry/outsideRootOption.js';
export { maskIsBlank, maskAnomalies, type MaskFacts } from './check/maskAnomalies.js';
