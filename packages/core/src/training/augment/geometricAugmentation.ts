// The reference's geometric augmentation: the CLIP-normalised image (3 channels) and the mask
// (1 channel, 0/1) are stacked into one [4, S, S] tensor and transformed together, so they move
// identically. Order and semantics follow the reference's torchvision pipeline, each step drawn
// independently: RandomRotation(±max) with p, RandomAffine(degrees=0, translate=(t, t)) with p,
// RandomHorizontalFlip(p), RandomVerticalFlip(p); nearest sampling, zero fill (0 is the mean colour
// after normalisation, and "normal" in the mask).
import { AaclipError } from '../../errors/aaclipError.js';
import type { GeometricAugmentation } from '../../config/trainingSettings.js';
import type { SeededRandom } from '../random/seededRandom.js';
import { resampleAffineNearest, rotationInverse, roundHalfToEven, translationInverse } from './affineNearest.js';
import { flipHorizontal, flipVertical } from './flip.js';

const IMAGE_CHANNELS = 3;
const SOURCE = 'augmentGeometric';

/** What one draw decided; null / false = that step was skipped. */
export interface GeometricDraw {
  /** Counter-clockwise degrees. */
  readonly rotationDegrees: number | null;
  /** Whole-pixel shift: content moves dx right and dy down. */
  readonly translation: { readonly dx: number; readonly dy: number } | null;
  readonly flipHorizontal: boolean;
  readonly flipVertical: boolean;
}

export interface AugmentedSample {
  /** [3, S, S] CLIP-normalised pixels. */
  readonly pixels: Float32Array;
  /** [S, S] mask. */
  readonly mask: Float32Array;
}

/** Draws the four steps' decisions and parameters from `rng`, in the reference's order. */
export function drawGeometricAugmentation(rng: SeededRandom, size: number, settings: GeometricAugmentation): GeometricDraw {
  const maxDegrees = settings.maxRotationDegrees;
  const rotationDegrees = rng.bernoulli(settings.rotationProbability) ? rng.uniform(-maxDegrees, maxDegrees) : null;
  let translation: GeometricDraw['translation'] = null;
  if (rng.bernoulli(settings.translationProbability)) {
    // torchvision: max_dx = t·W, tx = int(round(uniform(−max_dx, max_dx))) with Python's round (half to even).
    const maxShift = settings.maxTranslation * size;
    const dx = roundHalfToEven(rng.uniform(-maxShift, maxShift));
    const dy = roundHalfToEven(rng.uniform(-maxShift, maxShift));
    translation = { dx, dy };
  }
  return {
    rotationDegrees,
    translation,
    flipHorizontal: rng.bernoulli(settings.horizontalFlipProbability),
    flipVertical: rng.bernoulli(settings.verticalFlipProbability),
  };
}

/** Applies `draw` to the image and mask together; returns new arrays, the inputs stay untouched. */
export function applyGeometricAugmentation(pixelsChw: Float32Array, mask: Float32Array, size: number, draw: GeometricDraw): AugmentedSample {
  checkSample(pixelsChw, mask, size);
  const area = size * size;
  const channels = IMAGE_CHANNELS + 1;
  let planes: Float32Array = new Float32Array(channels * area);
  planes.set(pixelsChw, 0);
  planes.set(mask, IMAGE_CHANNELS * area);
  if (draw.rotationDegrees !== null) planes = resampleAffineNearest(planes, channels, size, rotationInverse(draw.rotationDegrees));
  if (draw.translation !== null) {
    planes = resampleAffineNearest(planes, channels, size, translationInverse(draw.translation.dx, draw.translation.dy));
  }
  if (draw.flipHorizontal) planes = flipHorizontal(planes, channels, size);
  if (draw.flipVertical) planes = flipVertical(planes, channels, size);
  return {
    pixels: planes.slice(0, IMAGE_CHANNELS * area),
    mask: planes.slice(IMAGE_CHANNELS * area),
  };
}

/** Draws and applies the reference's geometric augmentation (see the file comment). */
export function augmentGeometric(
  pixelsChw: Float32Array,
  mask: Float32Array,
  size: number,
  rng: SeededRandom,
  settings: GeometricAugmentation,
): AugmentedSample {
  checkSample(pixelsChw, mask, size);
  return applyGeometricAugmentation(pixelsChw, mask, size, drawGeometricAugmentation(rng, size, settings));
}

function checkSample(pixelsChw: Float32Array, mask: Float32Array, size: number): void {
  if (!Number.isInteger(size) || size < 1) throw new AaclipError(`size must be a positive integer, got ${size}`, SOURCE);
  const area = size * size;
  if (pixelsChw.length !== IMAGE_CHANNELS * area) {
    throw new AaclipError(`pixels have ${pixelsChw.length} values, [3, ${size}, ${size}] needs ${IMAGE_CHANNELS * area}`, SOURCE);
  }
  if (mask.length !== area) throw new AaclipError(`mask has ${mask.length} values, [${size}, ${size}] needs ${area}`, SOURCE);
}
