// Checks a CLIP state dict (open_clip key names) and the AA-CLIP adapters against the model config
// before anything is built from them, and widens half-precision weights to float32.
import { AaclipError } from '../errors/aaclipError.js';
import type { AaclipSettings } from '../config/aaclipSettings.js';
import type { ClipModelConfig } from '../config/modelConfig.js';
import { nativeGrid } from '../config/modelConfig.js';
import type { TensorMap } from '../tensor/tensor.js';
import { shapeToString } from '../tensor/tensor.js';
import { positionEmbeddingGrid } from '../graph/towers/positionEmbedding.js';
import { toFloat32 } from './safetensors.js';
import { detProjKey, projectionActivation, segProjKey, type ProjectionActivation } from './adapterVariant.js';

/** Tensor name → the shape the config needs, in the order the towers use them. */
export type ExpectedShapes = Map<string, number[]>;

function addBlockShapes(shapes: ExpectedShapes, prefix: string, width: number, mlpRatio: number): void {
  const mlp = Math.trunc(width * mlpRatio); // open_clip: mlp_width = int(width * mlp_ratio)
  shapes.set(`${prefix}.ln_1.weight`, [width]);
  shapes.set(`${prefix}.ln_1.bias`, [width]);
  shapes.set(`${prefix}.attn.in_proj_weight`, [3 * width, width]);
  shapes.set(`${prefix}.attn.in_proj_bias`, [3 * width]);
  shapes.set(`${prefix}.attn.out_proj.weight`, [width, width]);
  shapes.set(`${prefix}.attn.out_proj.bias`, [width]);
  shapes.set(`${prefix}.ln_2.weight`, [width]);
  shapes.set(`${prefix}.ln_2.bias`, [width]);
  shapes.set(`${prefix}.mlp.c_fc.weight`, [mlp, width]);
  shapes.set(`${prefix}.mlp.c_fc.bias`, [mlp]);
  shapes.set(`${prefix}.mlp.c_proj.weight`, [width, mlp]);
  shapes.set(`${prefix}.mlp.c_proj.bias`, [width]);
}

/** Every tensor the vision and text towers read, with its shape under `cfg` (at the native image size). */
export function clipWeightShapes(cfg: ClipModelConfig): ExpectedShapes {
  const v = cfg.vision_cfg;
  const t = cfg.text_cfg;
  const grid = nativeGrid(cfg);
  const shapes: ExpectedShapes = new Map();
  shapes.set('visual.conv1.weight', [v.width, 3, v.patch_size, v.patch_size]);
  shapes.set('visual.class_embedding', [v.width]);
  shapes.set('visual.positional_embedding', [grid * grid + 1, v.width]);
  shapes.set('visual.ln_pre.weight', [v.width]);
  shapes.set('visual.ln_pre.bias', [v.width]);
  for (let i = 0; i < v.layers; i++) addBlockShapes(shapes, `visual.transformer.resblocks.${i}`, v.width, v.mlp_ratio);
  shapes.set('visual.ln_post.weight', [v.width]);
  shapes.set('visual.ln_post.bias', [v.width]);
  shapes.set('visual.proj', [v.width, cfg.embed_dim]);
  shapes.set('token_embedding.weight', [t.vocab_size, t.width]);
  shapes.set('positional_embedding', [t.context_length, t.width]);
  for (let i = 0; i < t.layers; i++) addBlockShapes(shapes, `transformer.resblocks.${i}`, t.width, t.mlp_ratio);
  shapes.set('ln_final.weight', [t.width]);
  shapes.set('ln_final.bias', [t.width]);
  shapes.set('text_projection', [t.width, cfg.embed_dim]);
  return shapes;
}

const POSITION_EMBEDDING = 'visual.positional_embedding';

/**
 * The shapes `tensors` must have under `cfg`, as the tower builders accept them: everything as in
 * clipWeightShapes, except that the vision position embedding may be at any square grid — the
 * config's native size, the run size, or another — because the builder resizes it to the run grid
 * (a config given at the run size still reads a checkpoint trained at its native size). A
 * non-square one is refused naming the tensor.
 */
export function acceptedClipWeightShapes(cfg: ClipModelConfig, tensors: TensorMap, source: string): ExpectedShapes {
  const shapes = clipWeightShapes(cfg);
  const pos = tensors.get(POSITION_EMBEDDING);
  if (pos) {
    const grid = positionEmbeddingGrid(pos, `${source}: ${POSITION_EMBEDDING}`);
    shapes.set(POSITION_EMBEDDING, [grid * grid + 1, cfg.vision_cfg.width]);
  }
  return shapes;
}

/**
 * The adapters' tensors (the reference's module names) and shapes under `cfg` and `settings`, with
 * the seg/det projections in the given form (see adapterVariant.ts; default the plain Linear).
 */
export function adapterWeightShapes(cfg: ClipModelConfig, settings: AaclipSettings, activation: ProjectionActivation = 'none'): ExpectedShapes {
  const vw = cfg.vision_cfg.width;
  const tw = cfg.text_cfg.width;
  const embed = cfg.embed_dim;
  const shapes: ExpectedShapes = new Map();
  for (let i = 0; i < settings.textAdaptUntil; i++) shapes.set(`text_adapter.${i}.fc.0.weight`, [tw, tw]);
  // The entry after the block adapters is the adapted text projection (width → embed).
  shapes.set(`text_adapter.${settings.textAdaptUntil}.fc.0.weight`, [embed, tw]);
  for (let i = 0; i < settings.imageAdaptUntil; i++) shapes.set(`image_adapter.layer_adapters.${i}.fc.0.weight`, [vw, vw]);
  for (let k = 0; k < settings.levels.length; k++) shapes.set(segProjKey(k, activation), [embed, vw]);
  shapes.set(detProjKey(activation), [embed, vw]);
  return shapes;
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Arrays already found finite: a detector validates its weights, then each tower builder checks
 * its own again — one pass over ViT-L's 428 M values is enough. (Weights are not changed in place
 * between those checks; a trainer's updates are caught by its loss check.)
 */
const verifiedFinite = new WeakSet<Float32Array>();

/** Index of the first NaN or ±Infinity in `data`, or −1 (each array is scanned once). */
export function firstNonFinite(data: Float32Array): number {
  if (verifiedFinite.has(data)) return -1;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v !== 0) return i; // NaN − NaN and ∞ − ∞ are NaN; every finite v gives 0
  }
  verifiedFinite.add(data);
  return -1;
}

/**
 * Returns a new map holding exactly the `expected` tensors (in that order) as float32, or throws one
 * line naming the first problem (and how many more there are). A weight holding NaN or ±Infinity is
 * a problem: it would turn every score NaN, so it is refused here, at load, naming the tensor.
 */
export function checkTensorShapes(expected: ExpectedShapes, tensors: TensorMap, source: string): TensorMap {
  const problems: string[] = [];
  const out: TensorMap = new Map();
  for (const [name, shape] of expected) {
    const t = tensors.get(name);
    if (!t) {
      problems.push(`missing tensor "${name}"`);
    } else if (!sameShape(t.shape, shape)) {
      problems.push(`${name} has shape ${shapeToString(t.shape)}, the config needs ${shapeToString(shape)}`);
    } else if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16' && t.dtype !== 'F64') {
      problems.push(`${name} has dtype ${t.dtype}, weights must be floating point`);
    } else {
      const f32 = toFloat32(t, name);
      const bad = firstNonFinite(f32.data as Float32Array);
      if (bad >= 0) {
        problems.push(`${name} holds ${String(f32.data[bad])} at index ${bad} of ${f32.data.length} (weights must be finite)`);
      } else {
        out.set(name, f32);
      }
    }
  }
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    throw new AaclipError(`${problems[0]}${more}`, source);
  }
  return out;
}

/** Drops a `module.` (DataParallel) or `state_dict.` prefix when every key carries it. */
export function stripCommonPrefix(tensors: TensorMap): TensorMap {
  for (const prefix of ['module.', 'state_dict.']) {
    const keys = [...tensors.keys()];
    if (keys.length > 0 && keys.every((k) => k.startsWith(prefix))) {
      return new Map([...tensors].map(([k, t]) => [k.slice(prefix.length), t]));
    }
  }
  return tensors;
}

/**
 * Validates an open_clip CLIP state dict against `cfg` (every key the towers need, with the shape
 * acceptedClipWeightShapes gives — exactly what the tower builders accept) and returns those
 * tensors as float32 in a new map. `logit_scale` and other extra keys are not needed and dropped.
 */
export function validateClipWeights(cfg: ClipModelConfig, tensors: TensorMap, source: string): TensorMap {
  const stripped = stripCommonPrefix(tensors);
  return checkTensorShapes(acceptedClipWeightShapes(cfg, stripped, source), stripped, source);
}

/**
 * The adapter shapes `tensors` must have: adapterWeightShapes in the projection form their keys
 * show (plain Linear, or the reference's --relu variant). `tensors` without a common prefix.
 */
export function adapterShapesOf(cfg: ClipModelConfig, settings: AaclipSettings, tensors: TensorMap, source: string): ExpectedShapes {
  return adapterWeightShapes(cfg, settings, projectionActivation(tensors, source));
}

/**
 * Validates the AA-CLIP text and image adapters and returns them as float32 in a new map, under
 * their own keys (the --relu variant's projections stay `…fc.0.weight`: the towers read the form
 * from them).
 */
export function validateAdapters(
  cfg: ClipModelConfig,
  settings: AaclipSettings,
  tensors: TensorMap,
  source: string,
): TensorMap {
  const stripped = stripCommonPrefix(tensors);
  return checkTensorShapes(adapterShapesOf(cfg, settings, stripped, source), stripped, source);
}
