// The inputs and outputs of a bundle's two graphs, described for anyone running them with ONNX
// Runtime directly (names from detectorIo, shapes from the config and settings).
import type { AaclipSettings } from '../config/aaclipSettings.js';
import { DETECTOR_IO, visionOutputsOf, type VisionTowerKind } from '../pipeline/detectorIo.js';
import type { BundleTensorSpec } from './bundleManifest.js';

/** The vision graph's input and outputs for a tower kind. */
export function describeVisionGraph(
  tower: VisionTowerKind,
  settings: AaclipSettings,
  grid: number,
  embed: number,
): { inputs: BundleTensorSpec[]; outputs: BundleTensorSpec[] } {
  const size = settings.imageSize;
  const names = visionOutputsOf(tower);
  const tokens = tower === 'surgery' ? 'stage-1 feature-CLIP patch features' : tower === 'adapted' ? 'adapted patch tokens' : 'patch tokens';
  const levels: BundleTensorSpec[] = settings.levels.map((block, k) => ({
    name: names.levelTokens(k),
    dtype: 'float32',
    shape: ['batch', grid * grid, embed],
    meaning: `level ${k}: ${tokens} after vision block ${block}, L2-normalised, row-major on the ${grid}×${grid} patch grid`,
  }));
  return {
    inputs: [
      {
        name: DETECTOR_IO.visionInput,
        dtype: 'float32',
        shape: ['batch', 3, size, size],
        meaning: `RGB images resized to ${size}×${size} as "preprocess" says, scaled to 0..1, normalised per channel ((x − mean) / std), channels first`,
      },
    ],
    outputs: [
      ...levels,
      {
        name: names.detToken,
        dtype: 'float32',
        shape: ['batch', embed],
        meaning: `the ${tower === 'surgery' ? 'CLS image embedding' : 'detection (image) token'}; image score = (this · anomalous anchor + 1) / 2`,
      },
    ],
  };
}

/** The text graph's input and output. */
export function describeTextGraph(contextLength: number, embed: number): { inputs: BundleTensorSpec[]; outputs: BundleTensorSpec[] } {
  return {
    inputs: [
      {
        name: DETECTOR_IO.textInput,
        dtype: 'int64',
        shape: ['n', contextLength],
        meaning: `CLIP BPE token ids of n prompts: start token, tokens, end token, zero padding to ${contextLength}`,
      },
    ],
    outputs: [
      {
        name: DETECTOR_IO.textOutput,
        dtype: 'float32',
        shape: ['n', embed],
        meaning: 'prompt embeddings (not normalised); a class\'s anchors are the L2-normalised mean of its normalised normal / anomalous prompt embeddings',
      },
    ],
  };
}
