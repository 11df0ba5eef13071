// A readable name for a CLIP backbone from its config's sizes, in open_clip's naming
// ("ViT-L-14-336"): the vision tower's width and depth give the size letter, then the patch size,
// then the native image size when it is not 224.
import type { ClipModelConfig } from '../config/modelConfig.js';

// open_clip's ViT sizes: [width, layers] → letter.
const VIT_SIZES: readonly (readonly [number, number, string])[] = [
  [384, 12, 'S'],
  [768, 12, 'B'],
  [1024, 24, 'L'],
  [1280, 32, 'H'],
  [1408, 40, 'g'],
  [1664, 48, 'bigG'],
];

/** "ViT-L-14-336" for a known size; otherwise "ViT (width W, L blocks, patch P, native N)". */
export function backboneName(config: ClipModelConfig): string {
  const { width, layers, patch_size, image_size } = config.vision_cfg;
  const size = VIT_SIZES.find(([w, l]) => w === width && l === layers)?.[2];
  if (!size) return `ViT (width ${width}, ${layers} blocks, patch ${patch_size}, native ${image_size} px)`;
  return `ViT-${size}-${patch_size}${image_size === 224 ? '' : `-${image_size}`}`;
}
