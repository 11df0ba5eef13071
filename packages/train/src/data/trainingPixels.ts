import { normalizeToChw, resizeBicubicPil, type PreprocessConfig, type Rgb8Image } from '@aaclip/core';

/**
 * The model input from (possibly colour-jittered) 8-bit RGB, as the reference's transform makes
 * it: Pillow's bicubic Resize((S, S)) — the aspect ratio is not kept — then ToTensor and
 * Normalize with the model's mean and std. Returns float32 [3, S, S].
 */
export function trainingPixels(
  rgb: Rgb8Image,
  size: number,
  preprocess: Pick<PreprocessConfig, 'mean' | 'std'>,
  source = 'image',
): Float32Array {
  const resized = resizeBicubicPil(rgb, size, size, source);
  return normalizeToChw(resized, preprocess.mean, preprocess.std, source);
}
