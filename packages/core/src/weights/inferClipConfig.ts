// The open_clip model config of a CLIP ViT state dict, read from its tensor shapes — the rules of
// open_clip's build_model_from_openai_state_dict (OpenAI's checkpoints carry no config):
//   vision: width = conv1 out channels, patch = conv1 kernel, layers = the blocks present,
//           image size = patch · √(position rows − 1), heads of 64 channels (head_width 64);
//   text:   context = position rows, vocab = token-embedding rows, width = ln_final size,
//           heads = width / 64, layers = the blocks present; embed = text_projection columns.
// The MLP ratio is read from c_fc too (open_clip assumes 4; OpenAI's models have 4). Head counts
// are the one thing shapes cannot show: 64-channel heads is OpenAI's choice for every model.
import { AaclipError } from '../errors/aaclipError.js';
import { ClipModelConfig, parseModelConfig, type ParsedModelConfig } from '../config/modelConfig.js';
import type { TensorMap } from '../tensor/tensor.js';
import { shapeToString } from '../tensor/tensor.js';
import { acceptedClipWeightShapes, stripCommonPrefix } from './clipWeights.js';

/** OpenAI's attention heads are 64 channels wide in every CLIP model. */
export const OPENAI_HEAD_WIDTH = 64;

const OPENAI_MEAN = [0.48145466, 0.4578275, 0.40821073];
const OPENAI_STD = [0.26862954, 0.26130258, 0.27577711];

export interface InferClipConfigOptions {
  /**
   * The MLP activation to record: OpenAI's models were trained with QuickGELU (true), which the
   * weights do not show. Default false (exact GELU).
   */
  quickGelu?: boolean;
}

export interface InferredClipConfig {
  /** Hugging Face open_clip_config.json form: `{model_cfg, preprocess_cfg}`, ready to write. */
  readonly json: { model_cfg: Record<string, unknown>; preprocess_cfg: Record<string, unknown> };
  /** The same, parsed. */
  readonly parsed: ParsedModelConfig;
}

/** Number of blocks `prefix.N.` present (N = 0 … count − 1, each with its in_proj_weight). */
function blockCount(tensors: TensorMap, prefix: string, source: string): number {
  const indices = new Set<number>();
  for (const key of tensors.keys()) {
    const match = key.startsWith(prefix) ? /^(\d+)\.attn\.in_proj_weight$/.exec(key.slice(prefix.length)) : null;
    if (match) indices.add(Number(match[1]));
  }
  for (let i = 0; i < indices.size; i++) {
    if (!indices.has(i)) throw new AaclipError(`cannot infer the model config: block "${prefix}${i}" is missing among ${indices.size} blocks`, source);
  }
  return indices.size;
}

/**
 * Infers the open_clip config of the CLIP ViT state dict `weights` (open_clip/OpenAI key names;
 * a `module.` prefix is ignored) and checks every tensor the towers read against it. Fails with one
 * line naming the file and what is missing or unusual (a ResNet CLIP, a width that 64-channel heads
 * do not divide — pass the config by hand then).
 */
export function inferClipConfig(weights: TensorMap, source: string, options: InferClipConfigOptions = {}): InferredClipConfig {
  const tensors = stripCommonPrefix(weights);
  const shape = (key: string, rank: number): readonly number[] => {
    const t = tensors.get(key);
    if (!t) throw new AaclipError(`cannot infer the model config: no "${key}" (not a CLIP ViT state dict?)`, source);
    if (t.shape.length !== rank) throw new AaclipError(`cannot infer the model config: ${key} has shape ${shapeToString(t.shape)}, expected ${rank} dimensions`, source);
    return t.shape;
  };
  if (!tensors.has('visual.proj') && tensors.has('visual.attnpool.c_proj.weight')) {
    throw new AaclipError('is a ResNet CLIP (it has visual.attnpool, no visual.proj); only ViT backbones are supported', source);
  }
  const [visionWidth, , patch] = shape('visual.conv1.weight', 4) as readonly [number, number, number, number];
  const positions = shape('visual.positional_embedding', 2)[0]!;
  const grid = Math.round(Math.sqrt(positions - 1));
  if (grid * grid + 1 !== positions) {
    throw new AaclipError(`cannot infer the model config: visual.positional_embedding has ${positions} rows, not a square grid plus the class token`, source);
  }
  const embed = shape('text_projection', 2)[1]!;
  const [context] = shape('positional_embedding', 2) as readonly [number, number];
  const [vocab] = shape('token_embedding.weight', 2) as readonly [number, number];
  const [textWidth] = shape('ln_final.weight', 1) as readonly [number];
  const mlpRatio = (prefix: string, width: number): number => shape(`${prefix}0.mlp.c_fc.weight`, 2)[0]! / width;
  if (textWidth % OPENAI_HEAD_WIDTH !== 0 || visionWidth % OPENAI_HEAD_WIDTH !== 0) {
    throw new AaclipError(
      `cannot infer the attention heads: widths ${visionWidth} (vision) and ${textWidth} (text) are not multiples of OpenAI's ${OPENAI_HEAD_WIDTH}-channel heads; give the model config by hand`,
      source,
    );
  }
  const visionLayers = blockCount(tensors, 'visual.transformer.resblocks.', source);
  const textLayers = blockCount(tensors, 'transformer.resblocks.', source);
  const modelCfg = {
    embed_dim: embed,
    quick_gelu: options.quickGelu ?? false,
    vision_cfg: {
      image_size: patch * grid,
      layers: visionLayers,
      width: visionWidth,
      patch_size: patch,
      head_width: OPENAI_HEAD_WIDTH,
      mlp_ratio: visionLayers > 0 ? mlpRatio('visual.transformer.resblocks.', visionWidth) : 4,
    },
    text_cfg: {
      context_length: context,
      vocab_size: vocab,
      width: textWidth,
      heads: textWidth / OPENAI_HEAD_WIDTH,
      layers: textLayers,
      mlp_ratio: textLayers > 0 ? mlpRatio('transformer.resblocks.', textWidth) : 4,
    },
  } satisfies Record<string, unknown>;
  const json = { model_cfg: modelCfg, preprocess_cfg: { mean: OPENAI_MEAN, std: OPENAI_STD, size: patch * grid } };
  const parsed = parseModelConfig(json, `${source} (inferred config)`);
  // Every tensor the towers read must have the shape the inferred config gives (e.g. an MLP ratio
  // that varies by block does not). Shapes only: the values are checked when a model is built, and
  // widening a ViT-L's fp16 weights here would cost gigabytes.
  for (const [key, expected] of acceptedClipWeightShapes(ClipModelConfig.parse(modelCfg), tensors, source)) {
    const t = tensors.get(key);
    if (!t) throw new AaclipError(`cannot infer the model config: no "${key}", which the inferred config needs`, source);
    if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
      throw new AaclipError(`cannot infer the model config: ${key} has shape ${shapeToString(t.shape)}, the inferred config needs ${shapeToString(expected)}`, source);
    }
  }
  return { json, parsed };
}
