// open_clip model configs: the plain JSON form (`ViT-L-14-336.json`) and Hugging Face's
// `open_clip_config.json` ({model_cfg, preprocess_cfg}). Unknown keys are allowed and dropped.
import { z } from 'zod';
import { AaclipError } from '../errors/aaclipError.js';
import {
  MAX_ATTENTION_HEADS,
  MAX_CONTEXT_LENGTH,
  MAX_IMAGE_SIZE,
  MAX_MLP_RATIO,
  MAX_PATCH_SIZE,
  MAX_TOWER_LAYERS,
  MAX_TOWER_WIDTH,
  MAX_VOCAB_SIZE,
} from './sizeLimits.js';
import { parseWithSchema } from './zodIssue.js';

/** "<n> is past the limit of <max> <what>": the error a too-large size gets (the field is named by the path). */
function pastLimit(max: number, what: string): { error: (issue: { input?: unknown }) => string } {
  return { error: (issue) => `${String(issue.input)} is past the limit of ${max} ${what}` };
}

/** A positive integer of at most `max`. */
const sizeUpTo = (max: number, what: string) => z.number().int().positive().max(max, pastLimit(max, what));

const layers = sizeUpTo(MAX_TOWER_LAYERS, 'blocks');
const width = sizeUpTo(MAX_TOWER_WIDTH, 'channels');
const mlpRatio = z.number().positive().max(MAX_MLP_RATIO, pastLimit(MAX_MLP_RATIO, 'for the MLP ratio'));

/** open_clip: mlp_width = int(width * mlp_ratio); a ratio that makes it 0 is refused. */
function checkMlpWidth(tower: { width: number; mlp_ratio: number }, ctx: z.RefinementCtx): void {
  if (Math.trunc(tower.width * tower.mlp_ratio) < 1) {
    ctx.addIssue({ code: 'custom', path: ['mlp_ratio'], message: `${tower.mlp_ratio} makes the MLP of width ${tower.width} empty` });
  }
}

export const VisionTowerConfig = z
  .object({
    image_size: sizeUpTo(MAX_IMAGE_SIZE, 'pixels'),
    layers,
    width,
    patch_size: sizeUpTo(MAX_PATCH_SIZE, 'pixels'),
    head_width: width.default(64),
    mlp_ratio: mlpRatio.default(4),
  })
  .superRefine((v, ctx) => {
    checkMlpWidth(v, ctx);
    if (v.width % v.head_width !== 0) {
      ctx.addIssue({ code: 'custom', path: ['width'], message: `width ${v.width} is not a multiple of head_width ${v.head_width}` });
    }
  });

export const TextTowerConfig = z
  .object({
    context_length: sizeUpTo(MAX_CONTEXT_LENGTH, 'tokens').default(77),
    vocab_size: sizeUpTo(MAX_VOCAB_SIZE, 'tokens').default(49408),
    width,
    heads: sizeUpTo(MAX_ATTENTION_HEADS, 'heads'),
    layers,
    mlp_ratio: mlpRatio.default(4),
  })
  .superRefine((t, ctx) => {
    checkMlpWidth(t, ctx);
    if (t.width % t.heads !== 0) {
      ctx.addIssue({ code: 'custom', path: ['width'], message: `width ${t.width} is not a multiple of heads ${t.heads}` });
    }
  });

export const ClipModelConfig = z.object({
  embed_dim: width,
  vision_cfg: VisionTowerConfig,
  text_cfg: TextTowerConfig,
  /** true → x·sigmoid(1.702x); false → exact erf GELU (what the reference runs, see DESIGN.md). */
  quick_gelu: z.boolean().default(false),
});
export type ClipModelConfig = z.infer<typeof ClipModelConfig>;

// CLIP's normalisation constants (OpenAI), the defaults when a config names none.
const OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
const OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

const channelTriple = z.tuple([z.number(), z.number(), z.number()]);

/**
 * open_clip's `preprocess_cfg`: how an image becomes the model input. Every key either changes
 * preprocessing as documented here or is refused naming it (unknown keys are refused too):
 * - `mean`, `std`: per-channel normalisation, (x / 255 − mean) / std (std > 0);
 * - `interpolation`: the resampling filter, Pillow's: 'bicubic' (default, what the reference
 *   uses), 'bilinear' (both antialiased when shrinking) or 'nearest';
 * - `resize_mode`: 'squash' (default, the reference: S×S, the aspect ratio is not kept),
 *   'shortest' (open_clip / torchvision: the short side to S keeping the ratio, then a centre
 *   crop to S×S) or 'longest' (the long side to S keeping the ratio, then padded to S×S centred);
 * - `fill_color`: the 0..255 grey the 'longest' padding is filled with (default 0, open_clip's);
 * - `mode`: only 'RGB' (every image is converted to RGB as PIL's convert('RGB') does);
 * - `size`: the model's native input side (open_clip's); informational only — a non-square pair is
 *   refused, and the run size is `AaclipSettings.imageSize` (the reference runs 336-pixel CLIP at 518).
 */
export const PreprocessConfig = z.strictObject({
  mean: channelTriple.default([...OPENAI_CLIP_MEAN]),
  std: channelTriple
    .refine((s) => s.every((v) => v > 0), { message: 'every std must be positive' })
    .default([...OPENAI_CLIP_STD]),
  interpolation: z.enum(['bicubic', 'bilinear', 'nearest']).default('bicubic'),
  // The reference resizes to S×S without keeping the aspect ratio ("squash").
  resize_mode: z.enum(['squash', 'shortest', 'longest']).default('squash'),
  fill_color: z.number().int().min(0).max(255).optional(),
  mode: z.literal('RGB', { error: (issue) => `${JSON.stringify(issue.input)} is not supported (only "RGB")` }).optional(),
  size: z
    .union([sizeUpTo(MAX_IMAGE_SIZE, 'pixels'), z.tuple([sizeUpTo(MAX_IMAGE_SIZE, 'pixels'), sizeUpTo(MAX_IMAGE_SIZE, 'pixels')])])
    .refine((v) => typeof v === 'number' || v[0] === v[1], { message: 'only square inputs are supported' })
    .optional(),
});
export type PreprocessConfig = z.infer<typeof PreprocessConfig>;

export interface ParsedModelConfig {
  model: ClipModelConfig;
  preprocess: PreprocessConfig;
}

/**
 * Parses either open_clip's plain model JSON or Hugging Face's `{model_cfg, preprocess_cfg}` form.
 * Errors name the field, e.g. "open_clip_config.json: model_cfg.vision_cfg.width: expected number, received string".
 */
export function parseModelConfig(json: unknown, source: string): ParsedModelConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new AaclipError('the model config is not a JSON object', source);
  }
  if ('model_cfg' in json) {
    const wrapped = json as { model_cfg: unknown; preprocess_cfg?: unknown };
    return {
      model: parseWithSchema(ClipModelConfig, wrapped.model_cfg, source, ['model_cfg']),
      preprocess: parseWithSchema(PreprocessConfig, wrapped.preprocess_cfg ?? {}, source, ['preprocess_cfg']),
    };
  }
  return {
    model: parseWithSchema(ClipModelConfig, json, source),
    preprocess: PreprocessConfig.parse({}),
  };
}

/** Attention heads of the vision tower (width / head_width). */
export function visionHeads(cfg: ClipModelConfig): number {
  const { width, head_width } = cfg.vision_cfg;
  if (width % head_width !== 0) {
    throw new AaclipError(`vision width ${width} is not a multiple of head_width ${head_width}`, 'model config');
  }
  return width / head_width;
}

/** Patch grid side for square inputs of `imageSize` pixels (imageSize / patch_size). */
export function visionGrid(cfg: ClipModelConfig, imageSize: number, source = 'image size'): number {
  const patch = cfg.vision_cfg.patch_size;
  if (!Number.isInteger(imageSize) || imageSize <= 0 || imageSize % patch !== 0) {
    throw new AaclipError(`${imageSize} is not a positive multiple of the patch size ${patch}`, source);
  }
  return imageSize / patch;
}

/** Grid side the checkpoint's position embedding was trained at (its rows = nativeGrid² + 1). */
export function nativeGrid(cfg: ClipModelConfig): number {
  return visionGrid(cfg, cfg.vision_cfg.image_size, 'model config vision_cfg.image_size');
}
