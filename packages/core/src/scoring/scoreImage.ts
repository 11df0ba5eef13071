import { AaclipError } from '../errors/aaclipError.js';
import { fuseMaps } from './fuseMaps.js';
import { gaussianBlur, type GaussianBlurParams } from './gaussianBlur.js';
import { imageScore } from './imageScore.js';
import { levelAnomalyMap } from './levelMap.js';
import { upsampleBilinear } from './upsampleBilinear.js';

export interface ScoreImageInput {
  /** One [grid·grid, embed] row-major array of L2-normalised patch tokens per level (4 in AA-CLIP). */
  readonly segTokens: readonly Float32Array[];
  /** The detection token, [embed]. */
  readonly detToken: Float32Array;
  /** Text anchors [embed, 2] row-major (column 0 normal, 1 anomalous). */
  readonly anchors: Float32Array;
  readonly embed: number;
  readonly grid: number;
  /** Side of the square output maps (the model's input size). */
  readonly imageSize: number;
  readonly blur: GaussianBlurParams;
  /** Multiplier of the token–anchor similarities in the maps (100 in the reference). */
  readonly similarityScale: number;
}

export interface ImageScores {
  /** Each level's blurred map upsampled to [imageSize, imageSize]. */
  readonly levelMaps: Float32Array[];
  /** Sum of the level maps, [imageSize, imageSize]. */
  readonly anomalyMap: Float32Array;
  /** (det · anomalous anchor + 1) / 2. */
  readonly imageScore: number;
  /** Maximum of the anomaly map. */
  readonly pixelMax: number;
}

/**
 * Scores one image from its model outputs exactly as the reference's test loop does: per level,
 * the grid map (levelAnomalyMap) is Gaussian-blurred at grid resolution, then bilinearly upsampled
 * (align_corners=True) to the image size; the anomaly map is the sum of the levels.
 */
export function scoreImage(input: ScoreImageInput): ImageScores {
  const { segTokens, detToken, anchors, embed, grid, imageSize, blur, similarityScale } = input;
  if (segTokens.length === 0) throw new AaclipError('need at least one level', 'segTokens');
  if (!Number.isInteger(imageSize) || imageSize < 1) {
    throw new AaclipError(`must be a positive integer, got ${imageSize}`, 'imageSize');
  }
  if (!Number.isFinite(similarityScale)) throw new AaclipError(`must be finite, got ${similarityScale}`, 'similarityScale');
  const cells = grid * grid;
  const raw = new Float32Array(cells);
  const blurred = new Float32Array(cells);
  const scratch = new Float32Array(cells);
  const levelMaps = segTokens.map((tokens, level) => {
    try {
      levelAnomalyMap(tokens, anchors, grid, embed, similarityScale, raw);
    } catch (err) {
      if (err instanceof AaclipError) throw new AaclipError(err.message, `segTokens[${level}]`);
      throw err;
    }
    gaussianBlur(raw, grid, grid, blur, blurred, scratch);
    return upsampleBilinear(blurred, grid, grid, imageSize, imageSize);
  });
  const anomalyMap = fuseMaps(levelMaps);
  let pixelMax = -Infinity;
  for (let i = 0; i < anomalyMap.length; i++) if (anomalyMap[i]! > pixelMax) pixelMax = anomalyMap[i]!;
  return { levelMaps, anomalyMap, imageScore: imageScore(detToken, anchors, embed), pixelMax };
}
