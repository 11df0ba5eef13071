import { AaclipError, binaryMaskNearest, toRgb8, type RawImage, type Rgb8Image } from '@aaclip/core';
import { decodeImageFile } from '@aaclip/backend-node';
import type { TrainingExample } from './trainingExample.js';

/** One example decoded for a run at `size`×`size`. */
export interface TrainingImage {
  readonly example: TrainingExample;
  /**
   * The image as 8-bit RGB at its own size (PIL's convert('RGB')). The reference colour-jitters
   * this 8-bit image before resizing, so pixels are made from it by `trainingPixels`.
   */
  readonly rgb: Rgb8Image;
  /** The mask at size×size, row-major, 0 or 1; all zero for a normal image without a mask. */
  readonly mask: Float32Array;
  readonly size: number;
}

/**
 * The ground truth at size×size as the reference makes it: Pillow's Resize((S, S), NEAREST),
 * then `!= 0` (any colour channel). A mask whose size differs from its image's is an error
 * naming both files.
 */
export function trainingMask(mask: RawImage | null, image: { width: number; height: number }, example: TrainingExample, size: number): Float32Array {
  if (mask && example.maskPath && (mask.width !== image.width || mask.height !== image.height)) {
    throw new AaclipError(
      `mask is ${mask.width}×${mask.height}, but its image ${example.imagePath} is ${image.width}×${image.height}`,
      example.maskPath,
    );
  }
  return Float32Array.from(binaryMaskNearest(mask, size, size, example.maskPath ?? example.imagePath));
}

/** Decodes an example's image and mask (unreadable files fail naming the file). */
export async function loadTrainingImage(example: TrainingExample, size: number): Promise<TrainingImage> {
  if (!Number.isInteger(size) || size < 1) throw new AaclipError(`must be a whole number ≥ 1 (got ${size})`, 'image size');
  if (example.label === 1 && example.maskPath === null) {
    throw new AaclipError(`anomalous image of class "${example.className}" has no mask`, example.imagePath);
  }
  const image = await decodeImageFile(example.imagePath);
  const rgb = toRgb8(image, example.imagePath);
  const mask = example.maskPath === null ? null : await decodeImageFile(example.maskPath);
  return { example, rgb, mask: trainingMask(mask, image, example, size), size };
}
