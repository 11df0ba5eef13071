// Pillow's ImageEnhance on 8-bit RGB, which torchvision's adjust_brightness / adjust_contrast /
// adjust_saturation call for PIL images. Each blends the image with a "degenerate" image:
//  - brightness: black;
//  - contrast: a grey image of the rounded mean of the L (luma) image, int(mean + 0.5);
//  - saturation (ImageEnhance.Color): the L image itself.
// L is Pillow's fixed-point ITU-R 601-2 luma, (19595·R + 38470·G + 7471·B + 2^15) >> 16.
import { checkRgb8Image, type Rgb8Image } from '../../preprocess/rgb8Image.js';

/**
 * Pillow's Image.blend(degenerate, image, factor): out = d + factor·(i − d) in float32 (factor is a
 * C float), then TRUNCATED to 8 bits, not rounded (a C cast), after clamping to 0..255 when factor
 * lies outside [0, 1]. Factor 0 and 1 return copies. Mirrors the x86-64 build (two float32
 * roundings, no fused multiply-add).
 */
export function blendPil(degenerate: Uint8Array, image: Uint8Array, factor: number): Uint8Array {
  const alpha = Math.fround(factor);
  if (alpha === 0) return degenerate.slice();
  if (alpha === 1) return image.slice();
  const out = new Uint8Array(image.length);
  for (let k = 0; k < image.length; k++) {
    const d = degenerate[k]!;
    const value = Math.fround(d + Math.fround(alpha * (image[k]! - d)));
    out[k] = value <= 0 ? 0 : value >= 255 ? 255 : Math.trunc(value);
  }
  return out;
}

/** Pillow's convert('L') of interleaved RGB: one luma byte per pixel. */
export function lumaPil(image: Rgb8Image): Uint8Array {
  const pixels = image.width * image.height;
  const luma = new Uint8Array(pixels);
  const rgb = image.data;
  for (let p = 0; p < pixels; p++) {
    luma[p] = (rgb[3 * p]! * 19595 + rgb[3 * p + 1]! * 38470 + rgb[3 * p + 2]! * 7471 + 0x8000) >>> 16;
  }
  return luma;
}

function greyToRgb(image: Rgb8Image, greyOf: (pixel: number) => number): Uint8Array {
  const pixels = image.width * image.height;
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) out.fill(greyOf(p), 3 * p, 3 * p + 3);
  return out;
}

function withData(image: Rgb8Image, data: Uint8Array): Rgb8Image {
  return { width: image.width, height: image.height, data };
}

/** ImageEnhance.Brightness(image).enhance(factor). */
export function adjustBrightness(image: Rgb8Image, factor: number): Rgb8Image {
  checkRgb8Image(image, 'adjustBrightness');
  return withData(image, blendPil(new Uint8Array(image.data.length), image.data, factor));
}

/** ImageEnhance.Contrast(image).enhance(factor). */
export function adjustContrast(image: Rgb8Image, factor: number): Rgb8Image {
  checkRgb8Image(image, 'adjustContrast');
  const luma = lumaPil(image);
  let sum = 0;
  for (const v of luma) sum += v;
  const mean = Math.trunc(sum / luma.length + 0.5);
  return withData(image, blendPil(greyToRgb(image, () => mean), image.data, factor));
}

/** ImageEnhance.Color(image).enhance(factor): torchvision's adjust_saturation. */
export function adjustSaturation(image: Rgb8Image, factor: number): Rgb8Image {
  checkRgb8Image(image, 'adjustSaturation');
  const luma = lumaPil(image);
  return withData(image, blendPil(greyToRgb(image, (p) => luma[p]!), image.data, factor));
}
