// AA-CLIP's frozen stage-1 feature CLIP ("surgery", DESIGN.md "Training"): from block
// `surgeryFromBlock` on, attention is V-V — per head softmax(v·vᵀ/√head_dim)·v, with q and k
// replaced by v (in_proj with its bias), through the block's out_proj.
// Wiring, chosen by the golden file (tiny-aaclip train.safetensors): ONE stream whose blocks from
// `surgeryFromBlock` on have V-V instead of q·k attention and keep their MLP matches the reference
// to 3e-7, while CLIP-Surgery's dual path (a second stream adding only the V-V attention, no MLP,
// beside the plain one) misses it by 0.1–0.3. The CLS embedding is the plain model's: the plain
// blocks run on from the fork to the last block, beside the surgery stream.
// Per level: drop CLS, ln_post, @ visual.proj, L2-normalise, then add the plain model's
// L2-normalised CLS image embedding (the sum is not re-normalised).
import type { AaclipSettings } from '../../config/aaclipSettings.js';
import type { ClipModelConfig } from '../../config/modelConfig.js';
import { visionGrid, visionHeads } from '../../config/modelConfig.js';
import { AaclipError } from '../../errors/aaclipError.js';
import type { TensorMap } from '../../tensor/tensor.js';
import { GraphBuilder } from '../graphBuilder.js';
import type { Graph } from '../ir.js';
import { TowerWeights } from './towerWeights.js';
import type { AttentionRoles, BlockSpec } from './transformerBlock.js';
import {
  attentionContext,
  attentionInProjection,
  attentionOutProjection,
  layerNorm,
  mlpResidual,
  QUERY_KEY_ATTENTION,
  VALUE_VALUE_ATTENTION,
} from './transformerBlock.js';
import { DEFAULT_WEIGHT_SOURCES, VISION_INPUT, type WeightSources } from './visionTower.js';
import { classImageEmbedding, levelPatchRows, visionStem } from './visionStem.js';

export const surgeryFeaturesOutput = (level: number): string => `surgery_features_${level}`;
export const CLS_EMBEDDING_OUTPUT = 'cls_embedding';

export interface SurgeryGraphOptions {
  /** First block (0-based) with V-V attention (TextStageSettings.surgeryFromBlock). */
  surgeryFromBlock: number;
}

/** Where the surgery tower reads its weights when appended to a graph. */
export interface SurgeryTowerSources {
  cfg: ClipModelConfig;
  /** The open_clip vision tensors (float32, shapes checked). */
  clip: TensorMap;
  settings: AaclipSettings;
  options: SurgeryGraphOptions;
  sources?: WeightSources;
  /** A batch size fixed at build time (training graphs); see visionStem. */
  batch?: number;
}

/** The values the appended surgery tower produces. */
export interface SurgeryTowerValues {
  /** Per level, [batch, g², embed]: L2-normalised V-V tokens plus the CLS embedding. */
  features: string[];
  /** Plain CLIP's L2-normalised CLS image embedding [batch, embed]. */
  cls: string;
}

/** Appends the surgery tower to `g`, reading `pixels` [batch, 3, S, S] (S = settings.imageSize). */
export function appendSurgeryTower(g: GraphBuilder, pixels: string, tower: SurgeryTowerSources): SurgeryTowerValues {
  const { cfg, clip, settings, options } = tower;
  const { width, layers } = cfg.vision_cfg;
  const from = options.surgeryFromBlock;
  if (!Number.isInteger(from) || from < 0 || from >= layers) {
    throw new AaclipError(`must be a block index in 0..${layers - 1} (the vision tower has ${layers} blocks), got ${from}`, 'surgeryFromBlock');
  }
  const w = new TowerWeights(g, clip, (tower.sources ?? DEFAULT_WEIGHT_SOURCES).clip);
  const grid = visionGrid(cfg, settings.imageSize, 'settings.imageSize');
  const tokens = grid * grid;
  const sequence = tokens + 1;
  const embed = cfg.embed_dim;
  const heads = visionHeads(cfg);
  const levels = settings.levels;
  const lastLevel = levels[levels.length - 1]!;

  const block = (i: number, x: string, roles: AttentionRoles, name: string): string => {
    const prefix = `visual.transformer.resblocks.${i}`;
    const spec: BlockSpec = { prefix, width, heads, tokens: sequence, quickGelu: cfg.quick_gelu };
    const qkv = attentionInProjection(g, layerNorm(g, x, w, `${prefix}.ln_1`), w, spec);
    const attention = attentionOutProjection(g, attentionContext(g, qkv, spec, roles, `${prefix}.${name}`), w, spec);
    return mlpResidual(g, g.add(x, attention, `${prefix}.${name}_residual`), w, spec);
  };

  // Blocks before the fork are plain CLIP and shared by both streams.
  let shared = visionStem(g, cfg, w, pixels, grid, tower.batch);
  let surgery = '';
  const taps: string[] = [];
  for (let i = 0; i < lastLevel; i++) {
    if (i < from) shared = block(i, shared, QUERY_KEY_ATTENTION, 'attn');
    else surgery = block(i, i === from ? shared : surgery, VALUE_VALUE_ATTENTION, 'attn_vv');
    if (levels.includes(i + 1)) taps.push(levelPatchRows(g, i < from ? shared : surgery, w, sequence, width, `level_${taps.length}`));
  }
  let plain = shared;
  for (let i = Math.min(from, lastLevel); i < layers; i++) plain = block(i, plain, QUERY_KEY_ATTENTION, 'attn');

  const cls = classImageEmbedding(g, plain, w, sequence, width);
  const clsPerImage = g.unsqueeze(cls, [1], 'cls_embedding_rows'); // [B, 1, embed]
  const features = taps.map((tap, k) => {
    const normalized = g.l2Normalize(g.matmul(tap, w.value('visual.proj'), `level_${k}.proj`), -1);
    return g.add(g.reshape(normalized, [-1, tokens, embed], `level_${k}.tokens`), clsPerImage, `level_${k}.with_cls`);
  });
  return { features, cls };
}

/**
 * Builds the surgery graph from checked open_clip tensors: input "pixel_values" [batch, 3, S, S];
 * outputs "surgery_features_{k}" [batch, g², embed] per level and "cls_embedding" [batch, embed].
 */
export function buildSurgeryGraph(
  cfg: ClipModelConfig,
  clip: TensorMap,
  settings: AaclipSettings,
  options: SurgeryGraphOptions,
  sources: WeightSources = DEFAULT_WEIGHT_SOURCES,
): Graph {
  const g = new GraphBuilder('aaclip_surgery');
  const size = settings.imageSize;
  const pixels = g.input(VISION_INPUT, 'F32', ['batch', 3, size, size]);
  const { features, cls } = appendSurgeryTower(g, pixels, { cfg, clip, settings, options, sources });
  const tokens = visionGrid(cfg, size, 'settings.imageSize') ** 2;
  features.forEach((value, k) => g.output(value, surgeryFeaturesOutput(k), 'F32', ['batch', tokens, cfg.embed_dim]));
  g.output(cls, CLS_EMBEDDING_OUTPUT, 'F32', ['batch', cfg.embed_dim]);
  return g.build();
}
