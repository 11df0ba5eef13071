// The reference's colour jitter (stage 2): on the 8-bit image before resizing, three separate
// RandomApply([ColorJitter(one attribute)], p) steps in a fixed order — brightness, contrast,
// saturation — each with its factor drawn uniformly from [max(0, 1 − s), 1 + s].
import type { ColorJitter } from '../../config/trainingSettings.js';
import { checkRgb8Image, type Rgb8Image } from '../../preprocess/rgb8Image.js';
import type { SeededRandom } from '../random/seededRandom.js';
import { adjustBrightness, adjustContrast, adjustSaturation } from './pilEnhance.js';

/** The factor of each step, or null where it was skipped. */
export interface ColorJitterDraw {
  readonly brightness: number | null;
  readonly contrast: number | null;
  readonly saturation: number | null;
}

function drawFactor(rng: SeededRandom, strength: number, probability: number): number | null {
  if (!rng.bernoulli(probability)) return null;
  return rng.uniform(Math.max(0, 1 - strength), 1 + strength);
}

/** Draws the three steps in the reference's order. */
export function drawColorJitter(rng: SeededRandom, settings: ColorJitter): ColorJitterDraw {
  const brightness = drawFactor(rng, settings.brightness, settings.probability);
  const contrast = drawFactor(rng, settings.contrast, settings.probability);
  const saturation = drawFactor(rng, settings.saturation, settings.probability);
  return { brightness, contrast, saturation };
}

/** Applies `draw` to `image`; returns a new image, the input stays untouched. */
export function applyColorJitter(image: Rgb8Image, draw: ColorJitterDraw): Rgb8Image {
  checkRgb8Image(image, 'colorJitter');
  let out: Rgb8Image = { width: image.width, height: image.height, data: image.data.slice() };
  if (draw.brightness !== null) out = adjustBrightness(out, draw.brightness);
  if (draw.contrast !== null) out = adjustContrast(out, draw.contrast);
  if (draw.saturation !== null) out = adjustSaturation(out, draw.saturation);
  return out;
}

/** Draws and applies the reference's colour jitter. */
export function jitterColors(image: Rgb8Image, rng: SeededRandom, settings: ColorJitter): Rgb8Image {
  checkRgb8Image(image, 'colorJitter');
  return applyColorJitter(image, drawColorJitter(rng, settings));
}
