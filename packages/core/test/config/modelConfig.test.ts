import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtureFile } from '../../../../test-support/fixture.js';
import { AaclipError } from '../../src/errors/aaclipError.js';
import {
  nativeGrid,
  parseModelConfig,
  visionGrid,
  visionHeads,
} from '../../src/config/modelConfig.js';
import {
  MAX_ATTENTION_HEADS,
  MAX_CONTEXT_LENGTH,
  MAX_IMAGE_SIZE,
  MAX_MLP_RATIO,
  MAX_PATCH_SIZE,
  MAX_TOWER_LAYERS,
  MAX_TOWER_WIDTH,
  MAX_VOCAB_SIZE,
} from '../../src/config/sizeLimits.js';

const readJson = (name: string): unknown => JSON.parse(readFileSync(fixtureFile(name), 'utf8'));
// The normalisation the reference ran with (the fixture's config.json records it).
const { mean: CLIP_MEAN, std: CLIP_STD } = readJson('config.json') as { mean: number[]; std: number[] };

describe('parseModelConfig', () => {
  it("reads Hugging Face's open_clip_config.json", () => {
    const { model, preprocess } = parseModelConfig(readJson('open_clip_config.json'), 'open_clip_config.json');
    expect(model.embed_dim).toBe(48);
    expect(model.vision_cfg).toMatchObject({ image_size: 32, layers: 24, width: 64, patch_size: 8, head_width: 16, mlp_ratio: 4 });
    expect(model.text_cfg).toMatchObject({ context_length: 77, vocab_size: 49408, width: 48, heads: 4, layers: 12, mlp_ratio: 4 });
    expect(model.quick_gelu).toBe(false);
    expect(preprocess).toEqual({ mean: CLIP_MEAN, std: CLIP_STD, interpolation: 'bicubic', resize_mode: 'squash' });
    expect(visionHeads(model)).toBe(4);
    expect(nativeGrid(model)).toBe(4);
    expect(visionGrid(model, 48)).toBe(6);
  });

  it('reads the plain form (the fixture config.json "model") with defaults and ignores extra keys', () => {
    const plain = (readJson('config.json') as { model: Record<string, unknown> }).model;
    // No preprocess_cfg in the plain form: CLIP's normalisation is the default.
    const { model, preprocess } = parseModelConfig({ ...plain, custom_text: true }, 'ViT-tiny.json');
    expect(model.vision_cfg.image_size).toBe(48);
    expect(model).not.toHaveProperty('custom_text');
    expect(preprocess.mean).toEqual(CLIP_MEAN);
    expect(preprocess.std).toEqual(CLIP_STD);
    const noHeadWidth = parseModelConfig(
      { embed_dim: 768, vision_cfg: { image_size: 336, layers: 24, width: 1024, patch_size: 14 }, text_cfg: { width: 768, heads: 12, layers: 12 }, quick_gelu: true },
      'ViT-L-14-336.json',
    ).model;
    expect(visionHeads(noHeadWidth)).toBe(16); // head_width defaults to 64
    expect(noHeadWidth.text_cfg.context_length).toBe(77);
    expect(noHeadWidth.quick_gelu).toBe(true);
    expect(nativeGrid(noHeadWidth)).toBe(24);
    expect(visionGrid(noHeadWidth, 518)).toBe(37);
  });

  it('names the field at fault in one line', () => {
    const json = readJson('open_clip_config.json') as { model_cfg: { vision_cfg: Record<string, unknown> } };
    json.model_cfg.vision_cfg.width = '64';
    expect(() => parseModelConfig(json, 'open_clip_config.json')).toThrow(
      new AaclipError('model_cfg.vision_cfg.width: expected number, received string', 'open_clip_config.json'),
    );
    expect(() => parseModelConfig({ embed_dim: 48, vision_cfg: {} }, 'cfg.json')).toThrow(/^cfg\.json: vision_cfg\.image_size: expected number, received undefined \(and \d+ more problems\)$/);
    expect(() => parseModelConfig([], 'cfg.json')).toThrow(/cfg\.json: the model config is not a JSON object/);
    const odd = readJson('open_clip_config.json') as { model_cfg: { vision_cfg: Record<string, unknown> } };
    odd.model_cfg.vision_cfg.head_width = 24;
    expect(() => parseModelConfig(odd, 'x.json')).toThrow(/x\.json: model_cfg\.vision_cfg\.width: width 64 is not a multiple of head_width 24/);
    const badStd = readJson('open_clip_config.json') as { preprocess_cfg: Record<string, unknown> };
    badStd.preprocess_cfg.std = [1, 0, 1];
    expect(() => parseModelConfig(badStd, 'x.json')).toThrow(/x\.json: preprocess_cfg\.std: every std must be positive/);
  });

  it('refuses an image size that is not a multiple of the patch', () => {
    const { model } = parseModelConfig(readJson('open_clip_config.json'), 'open_clip_config.json');
    expect(() => visionGrid(model, 50)).toThrow(AaclipError);
    expect(() => visionGrid(model, 50)).toThrow(/50 is not a positive multiple of the patch size 8/);
  });
});

describe('parseModelConfig bounds every size before anything is sized from it', () => {
  const fixture = (): { model_cfg: { embed_dim: number; vision_cfg: Record<string, unknown>; text_cfg: Record<string, unknown> } } =>
    readJson('open_clip_config.json') as { model_cfg: { embed_dim: number; vision_cfg: Record<string, unknown>; text_cfg: Record<string, unknown> } };

  it('"layers": 1000000000 is refused at once, naming the field and the file', () => {
    const json = fixture();
    json.model_cfg.vision_cfg.layers = 1_000_000_000;
    const start = performance.now();
    expect(() => parseModelConfig(json, 'open_clip_config.json')).toThrow(
      new AaclipError(`model_cfg.vision_cfg.layers: 1000000000 is past the limit of ${MAX_TOWER_LAYERS} blocks`, 'open_clip_config.json'),
    );
    expect(performance.now() - start).toBeLessThan(100);
  });

  it('names each size field past its limit, in either tower', () => {
    const cases: [tower: 'vision_cfg' | 'text_cfg', field: string, value: number, limit: number][] = [
      ['vision_cfg', 'image_size', MAX_IMAGE_SIZE + 8, MAX_IMAGE_SIZE],
      ['vision_cfg', 'width', MAX_TOWER_WIDTH * 2, MAX_TOWER_WIDTH],
      ['vision_cfg', 'patch_size', MAX_PATCH_SIZE + 1, MAX_PATCH_SIZE],
      ['vision_cfg', 'head_width', 2 ** 40, MAX_TOWER_WIDTH],
      ['vision_cfg', 'mlp_ratio', 1e9, MAX_MLP_RATIO],
      ['text_cfg', 'layers', MAX_TOWER_LAYERS + 1, MAX_TOWER_LAYERS],
      ['text_cfg', 'width', 1e12, MAX_TOWER_WIDTH],
      ['text_cfg', 'heads', MAX_ATTENTION_HEADS + 1, MAX_ATTENTION_HEADS],
      ['text_cfg', 'context_length', 1e9, MAX_CONTEXT_LENGTH],
      ['text_cfg', 'vocab_size', 2 ** 31, MAX_VOCAB_SIZE],
    ];
    for (const [tower, field, value, limit] of cases) {
      const json = fixture();
      json.model_cfg[tower][field] = value;
      expect(() => parseModelConfig(json, 'cfg.json'), `${tower}.${field}`).toThrow(
        new RegExp(`^cfg\\.json: model_cfg\\.${tower}\\.${field}: ${String(value).replace('+', '\\+')} is past the limit of ${limit} `),
      );
    }
    const json = fixture();
    json.model_cfg.embed_dim = 1e7;
    expect(() => parseModelConfig(json, 'cfg.json')).toThrow(/^cfg\.json: model_cfg\.embed_dim: 10000000 is past the limit of 16384 channels$/);
  });

  it('accepts sizes at the limits (the bounds refuse only what no CLIP has)', () => {
    const json = fixture();
    Object.assign(json.model_cfg.vision_cfg, { image_size: MAX_IMAGE_SIZE, layers: MAX_TOWER_LAYERS, width: MAX_TOWER_WIDTH, patch_size: MAX_PATCH_SIZE, head_width: 64 });
    Object.assign(json.model_cfg.text_cfg, { context_length: MAX_CONTEXT_LENGTH, vocab_size: MAX_VOCAB_SIZE, heads: MAX_ATTENTION_HEADS, width: MAX_TOWER_WIDTH });
    const { model } = parseModelConfig(json, 'cfg.json');
    expect(model.vision_cfg.layers).toBe(MAX_TOWER_LAYERS);
    expect(nativeGrid(model)).toBe(MAX_IMAGE_SIZE / MAX_PATCH_SIZE);
  });

  it('refuses an MLP ratio that leaves the MLP empty', () => {
    const json = fixture();
    json.model_cfg.text_cfg.mlp_ratio = 0.001;
    expect(() => parseModelConfig(json, 'cfg.json')).toThrow(/^cfg\.json: model_cfg\.text_cfg\.mlp_ratio: 0\.001 makes the MLP of width 48 empty$/);
  });
});
