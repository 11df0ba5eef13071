// AA-CLIP's hyperparameters. The defaults are the paper's / the reference's values and are the
// single place the rest of the project takes them from.
import { z } from 'zod';
import { AaclipError } from '../errors/aaclipError.js';
import type { ClipModelConfig } from './modelConfig.js';
import { MAX_IMAGE_SIZE } from './sizeLimits.js';
import { parseWithSchema } from './zodIssue.js';

/**
 * What the images show: 'industrial' (MVTec, VisA, …) or 'medical' (brain MRI, liver CT, …). It
 * picks the level-map blur and the image-score rule (industrial ½·pixel max + ½·det score, medical
 * pixel max).
 */
export const Domain = z.enum(['industrial', 'medical']);
export type Domain = z.infer<typeof Domain>;

export const BlurSpec = z.object({
  /** Kernel side in map pixels: an odd integer ≥ 1 (taps at offsets −k//2 … k//2, so it is centred). */
  kernelSize: z
    .number()
    .int()
    .positive()
    .refine((k) => k % 2 === 1, { message: 'kernel size must be odd' }),
  /** Standard deviation of the Gaussian in map pixels, > 0. */
  sigma: z.number().positive(),
});
export type BlurSpec = z.infer<typeof BlurSpec>;

const DEFAULT_BLUR: Readonly<Record<Domain, BlurSpec>> = {
  industrial: { kernelSize: 7, sigma: 1 },
  medical: { kernelSize: 9, sigma: 1.5 },
};

/** The reference's Gaussian smoothing of the level maps for a domain. */
export function blurForDomain(domain: Domain): BlurSpec {
  return { ...DEFAULT_BLUR[domain] };
}

const unitInterval = z.number().min(0).max(1);

/** Side of the square model input in pixels: a positive integer up to MAX_IMAGE_SIZE. */
export const ImageSize = z
  .number()
  .int()
  .positive()
  .max(MAX_IMAGE_SIZE, { error: (issue) => `${String(issue.input)} is past the limit of ${MAX_IMAGE_SIZE} pixels` });

/** Checks an image size from a flag or a file; the error names `source` (e.g. "--image-size"). */
export function parseImageSize(value: unknown, source: string): number {
  return parseWithSchema(ImageSize, value, source);
}

/**
 * AA-CLIP's settings. Every field is optional on input and defaults to the paper's value; a
 * detector's settings are checked against its model (see checkSettingsForModel).
 */
export const AaclipSettings = z.object({
  /**
   * 1-based vision block numbers whose outputs are tapped for patch tokens: strictly increasing
   * integers from 1 to the tower's block count (default [6, 12, 18, 24], ViT-L's 24 blocks).
   * Must match the adapters' seg projections (one per level).
   */
  levels: z
    .array(z.number().int().positive())
    .min(1)
    .refine((l) => l.every((v, i) => i === 0 || v > l[i - 1]!), { message: 'levels must be strictly increasing' })
    .default([6, 12, 18, 24]),
  /** Residual adapters on vision blocks 0 … imageAdaptUntil−1: an integer 0 … vision blocks (default 6). */
  imageAdaptUntil: z.number().int().nonnegative().default(6),
  /** Residual adapters on text blocks 0 … textAdaptUntil−1: an integer 0 … text blocks (default 3). */
  textAdaptUntil: z.number().int().nonnegative().default(3),
  /** w in x = w·adapter(x) + (1−w)·x in the vision blocks: 0 … 1 (default 0.1). */
  imageResidualWeight: unitInterval.default(0.1),
  /** The same for the text blocks: 0 … 1 (default 0.1). */
  textResidualWeight: unitInterval.default(0.1),
  /** Negative slope of the adapters' LeakyReLU: ≥ 0 (default 0.01). */
  adapterLeakySlope: z.number().nonnegative().default(0.01),
  /**
   * Side S of the square model input and of the maps, in pixels: a multiple of the patch size, at
   * most 4096 (default 518; the reference runs ViT-L-14-336 at 518). Time and memory grow about
   * as (S / patch)⁴ in attention.
   */
  imageSize: ImageSize.default(518),
  /** See Domain (default 'industrial'). */
  domain: Domain.default('industrial'),
  /** Level-map Gaussian smoothing per domain, in map pixels (default industrial 7 / σ 1, medical 9 / σ 1.5). */
  blur: z
    .object({
      industrial: BlurSpec.default(blurForDomain('industrial')),
      medical: BlurSpec.default(blurForDomain('medical')),
    })
    .default({ industrial: blurForDomain('industrial'), medical: blurForDomain('medical') }),
  /** Patch/anchor cosine similarities are multiplied by this before the softmax of the level map: > 0 (default 100). */
  similarityScale: z.number().positive().default(100),
});
export type AaclipSettings = z.infer<typeof AaclipSettings>;
/** What a user may write: every field optional. */
export type AaclipSettingsInput = z.input<typeof AaclipSettings>;

/** Parses user settings (missing fields take the paper's values); errors name the field. */
export function parseAaclipSettings(partial: unknown, source: string): AaclipSettings {
  return parseWithSchema(AaclipSettings, partial ?? {}, source);
}

/** The paper's settings. */
export function defaultAaclipSettings(): AaclipSettings {
  return AaclipSettings.parse({});
}

/** The blur the settings' domain uses. */
export function settingsBlur(settings: AaclipSettings): BlurSpec {
  return settings.blur[settings.domain];
}

/** Checks settings against a model: taps and adapters must exist, the image size must fit the patch. */
export function checkSettingsForModel(settings: AaclipSettings, cfg: ClipModelConfig, source: string): void {
  const { layers, patch_size } = cfg.vision_cfg;
  const last = settings.levels[settings.levels.length - 1]!;
  if (last > layers) {
    throw new AaclipError(`levels: block ${last} is past the vision tower's ${layers} blocks`, source);
  }
  if (settings.imageAdaptUntil > layers) {
    throw new AaclipError(`imageAdaptUntil: ${settings.imageAdaptUntil} is past the vision tower's ${layers} blocks`, source);
  }
  if (settings.textAdaptUntil > cfg.text_cfg.layers) {
    throw new AaclipError(
      `textAdaptUntil: ${settings.textAdaptUntil} is past the text tower's ${cfg.text_cfg.layers} blocks`,
      source,
    );
  }
  if (settings.imageSize % patch_size !== 0) {
    throw new AaclipError(`imageSize: ${settings.imageSize} is not a multiple of the patch size ${patch_size}`, source);
  }
}
