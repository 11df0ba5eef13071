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
