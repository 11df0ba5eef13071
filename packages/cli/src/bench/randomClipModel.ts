// Full-size CLIP models with random weights, for benchmarks: the graph and every tensor shape are
// the real model's, so the timings and memory are, while the numbers mean nothing as detection.
import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { AaclipError } from '@aaclip/core';

/** open_clip configs of the models `--random` offers. */
export const RANDOM_MODEL_PRESETS = {
  // open_clip's ViT-L-14-336 (the AA-CLIP backbone).
  'vit-l-14-336': {
    embed_dim: 768,
    vision_cfg: { image_size: 336, layers: 24, width: 1024, patch_size: 14, head_width: 64, mlp_ratio: 4 },
    text_cfg: { context_length: 77, vocab_size: 49408, width: 768, heads: 12, layers: 12, mlp_ratio: 4 },
    quick_gelu: false,
  },
} as const;
export type RandomModelName = keyof typeof RANDOM_MODEL_PRESETS;
type Preset = (typeof RANDOM_MODEL_PRESETS)[RandomModelName];

// The paper's adapter layout (AaclipSettings defaults): image adapters on blocks 0–5, four taps,
// text adapters on blocks 0–2 plus the adapted projection.
const IMAGE_ADAPT_UNTIL = 6;
const LEVELS = 4;
const TEXT_ADAPT_UNTIL = 3;

type TensorSpec = readonly [name: string, shape: readonly number[], kind: 'ones' | 'random'];

function clipTensors(config: Preset): TensorSpec[] {
  const list: TensorSpec[] = [];
  const block = (prefix: string, width: number, mlpRatio: number): void => {
    const hidden = width * mlpRatio;
    list.push([`${prefix}.ln_1.weight`, [width], 'ones'], [`${prefix}.ln_1.bias`, [width], 'random']);
    list.push([`${prefix}.attn.in_proj_weight`, [3 * width, width], 'random'], [`${prefix}.attn.in_proj_bias`, [3 * width], 'random']);
    list.push([`${prefix}.attn.out_proj.weight`, [width, width], 'random'], [`${prefix}.attn.out_proj.bias`, [width], 'random']);
    list.push([`${prefix}.ln_2.weight`, [width], 'ones'], [`${prefix}.ln_2.bias`, [width], 'random']);
    list.push([`${prefix}.mlp.c_fc.weight`, [hidden, width], 'random'], [`${prefix}.mlp.c_fc.bias`, [hidden], 'random']);
    list.push([`${prefix}.mlp.c_proj.weight`, [width, hidden], 'random'], [`${prefix}.mlp.c_proj.bias`, [width], 'random']);
  };
  const v = config.vision_cfg;
  const grid = v.image_size / v.patch_size;
  list.push(['visual.class_embedding', [v.width], 'random'], ['visual.positional_embedding', [grid * grid + 1, v.width], 'random']);
  list.push(['visual.proj', [v.width, config.embed_dim], 'random'], ['visual.conv1.weight', [v.width, 3, v.patch_size, v.patch_size], 'random']);
  list.push(['visual.ln_pre.weight', [v.width], 'ones'], ['visual.ln_pre.bias', [v.width], 'random']);
  for (let i = 0; i < v.layers; i++) block(`visual.transformer.resblocks.${i}`, v.width, v.mlp_ratio);
  list.push(['visual.ln_post.weight', [v.width], 'ones'], ['visual.ln_post.bias', [v.width], 'random']);
  const t = config.text_cfg;
  list.push(['positional_embedding', [t.context_length, t.width], 'random'], ['text_projection', [t.width, config.embed_dim], 'random']);
  list.push(['token_embedding.weight', [t.vocab_size, t.width], 'random'], ['logit_scale', [], 'ones']);
  for (let i = 0; i < t.layers; i++) block(`transformer.resblocks.${i}`, t.width, t.mlp_ratio);
  list.push(['ln_final.weight', [t.width], 'ones'], ['ln_final.bias', [t.width], 'random']);
  return list;
}

function adapterTensors(config: Preset): TensorSpec[] {
  const vw = config.vision_cfg.width;
  const tw = config.text_cfg.width;
  const e = config.embed_dim;
  const list: TensorSpec[] = [];
  for (let i = 0; i < TEXT_ADAPT_UNTIL; i++) list.push([`text_adapter.${i}.fc.0.weight`, [tw, tw], 'random']);
  list.push([`text_adapter.${TEXT_ADAPT_UNTIL}.fc.0.weight`, [e, tw], 'random']);
  for (let i = 0; i < IMAGE_ADAPT_UNTIL; i++) list.push([`image_adapter.layer_adapters.${i}.fc.0.weight`, [vw, vw], 'random']);
  for (let k = 0; k < LEVELS; k++) list.push([`image_adapter.seg_proj.${k}.fc.weight`, [e, vw], 'random']);
  list.push(['image_adapter.det_proj.fc.weight', [e, vw], 'random']);
  return list;
}

/** Uniform values in ±scale from a xorshift32 generator: the same weights on every run. */
function fillRandom(data: Float32Array, state: { s: number }, scale = 0.02): void {
  let s = state.s;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    data[i] = (s / 4294967296 - 0.5) * 2 * scale;
  }
  state.s = s;
}

/** Writes a safetensors file one tensor at a time (never more than one tensor in memory), atomically. */
function writeRandomSafetensors(file: string, list: readonly TensorSpec[], state: { s: number }): void {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, shape] of list) {
    const bytes = shape.reduce((a, b) => a * b, 1) * 4;
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const prefix = Buffer.alloc(8 + padded, 0x20);
  prefix.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(prefix, 8);
  const partial = `${file}.partial`;
  const fd = openSync(partial, 'w');
  try {
    writeSync(fd, prefix);
    for (const [, shape, kind] of list) {
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      if (kind === 'ones') data.fill(1);
      else fillRandom(data, state);
      writeSync(fd, new Uint8Array(data.buffer));
    }
  } finally {
    closeSync(fd);
  }
  renameSync(partial, file);
}

export interface RandomModelFiles {
  readonly modelConfig: string;
  readonly weights: string;
  readonly adapters: string;
}

/**
 * The files of a random `name` model (config, CLIP weights, AA-CLIP adapters) in `dir`, written
 * once (a marker file tells a complete set from an interrupted one) and reused afterwards.
 * `configFile`: the config's file name in `dir`.
 */
export function randomModelFiles(name: string, dir: string, onWrite?: () => void, configFile = 'open_clip_config.json'): RandomModelFiles {
  if (!(name in RANDOM_MODEL_PRESETS)) {
    throw new AaclipError(`unknown random model "${name}" (offered: ${Object.keys(RANDOM_MODEL_PRESETS).join(', ')})`, '--random');
  }
  const config = RANDOM_MODEL_PRESETS[name as RandomModelName];
  const files = {
    modelConfig: path.join(dir, configFile),
    weights: path.join(dir, 'open_clip_model.safetensors'),
    adapters: path.join(dir, 'aaclip_adapters.safetensors'),
  };
  const done = path.join(dir, 'complete-v1');
  if (!existsSync(done)) {
    onWrite?.();
    mkdirSync(dir, { recursive: true });
    const state = { s: 0x9e3779b9 };
    writeFileSync(files.modelConfig, JSON.stringify(config, null, 2));
    writeRandomSafetensors(files.weights, clipTensors(config), state);
    writeRandomSafetensors(files.adapters, adapterTensors(config), state);
    writeFileSync(done, `random ${name} weights and AA-CLIP adapters (aaclip bench --random)\n`);
  }
  return files;
}
