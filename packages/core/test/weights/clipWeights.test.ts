import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtureFile } from '../../../../test-support/fixture.js';
import { fixtureTensors } from '../../../../test-support/fixtureLoader.js';
import { defaultAaclipSettings } from '../../src/config/aaclipSettings.js';
import { parseModelConfig } from '../../src/config/modelConfig.js';
import { AaclipError } from '../../src/errors/aaclipError.js';
import type { Tensor, TensorMap } from '../../src/tensor/tensor.js';
import { firstNonFinite, validateAdapters, validateClipWeights } from '../../src/weights/clipWeights.js';

const read = fixtureTensors;
const { model: cfg } = parseModelConfig(JSON.parse(readFileSync(fixtureFile('open_clip_config.json'), 'utf8')), 'open_clip_config.json');
const settings = defaultAaclipSettings();
const clip = read('clip.safetensors');
const adapters = read('adapters.safetensors');

function thrown(fn: () => unknown): AaclipError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AaclipError);
    return err as AaclipError;
  }
  throw new Error('expected an error');
}

/** F32 → F16 bits for values that half represents exactly (sign, exponent, 10-bit mantissa). */
function exactHalfBits(x: number): number {
  if (x === 0) return 0;
  const sign = x < 0 ? 0x8000 : 0;
  const e = Math.floor(Math.log2(Math.abs(x)));
  const mantissa = Math.abs(x) / 2 ** e - 1;
  return sign | ((e + 15) << 10) | Math.round(mantissa * 1024);
}

describe('validateClipWeights', () => {
  it('accepts the fixture and keeps every tower tensor (all but logit_scale)', () => {
    const checked = validateClipWeights(cfg, clip, 'clip.safetensors');
    expect(clip.has('logit_scale')).toBe(true);
    expect(checked.size).toBe(clip.size - 1);
    expect(checked.has('logit_scale')).toBe(false);
    for (const [name, t] of checked) {
      expect(t.dtype).toBe('F32');
      expect(t.data).toBe(clip.get(name)!.data); // float32 input is passed through, not copied
    }
  });

  it('strips a module. or state_dict. prefix carried by every key', () => {
    for (const prefix of ['module.', 'state_dict.']) {
      const prefixed: TensorMap = new Map([...clip].map(([k, t]) => [prefix + k, t]));
      expect(validateClipWeights(cfg, prefixed, 'ddp.pt').get('visual.proj')).toBe(clip.get('visual.proj'));
    }
  });

  it('names a wrong shape', () => {
    const bad = new Map(clip);
    bad.set('visual.proj', { dtype: 'F32', shape: [64, 32], data: new Float32Array(64 * 32) });
    expect(thrown(() => validateClipWeights(cfg, bad, 'clip.safetensors')).message).toBe(
      'clip.safetensors: visual.proj has shape [64, 32], the config needs [64, 48]',
    );
    // The position embedding may be at any square grid (the builder resizes it): 6×6 + 1 rows is
    // accepted, 18 rows (no square grid) and another width are refused naming the tensor.
    const pos = new Map(clip);
    pos.set('visual.positional_embedding', { dtype: 'F32', shape: [37, 64], data: new Float32Array(37 * 64) });
    expect(validateClipWeights(cfg, pos, 'clip.safetensors').get('visual.positional_embedding')!.shape).toEqual([37, 64]);
    pos.set('visual.positional_embedding', { dtype: 'F32', shape: [18, 64], data: new Float32Array(18 * 64) });
    expect(thrown(() => validateClipWeights(cfg, pos, 'clip.safetensors')).message).toMatch(/^clip\.safetensors: visual\.positional_embedding: expected shape \[g² \+ 1, width\]/);
    pos.set('visual.positional_embedding', { dtype: 'F32', shape: [17, 32], data: new Float32Array(17 * 32) });
    expect(thrown(() => validateClipWeights(cfg, pos, 'clip.safetensors')).message).toMatch(/visual\.positional_embedding has shape \[17, 32\], the config needs \[17, 64\]/);
  });

  it('names a missing tensor and counts the rest', () => {
    const bad = new Map(clip);
    bad.delete('ln_final.weight');
    expect(thrown(() => validateClipWeights(cfg, bad, 'clip.safetensors')).message).toBe('clip.safetensors: missing tensor "ln_final.weight"');
    bad.delete('ln_final.bias');
    expect(thrown(() => validateClipWeights(cfg, bad, 'clip.safetensors')).message).toBe(
      'clip.safetensors: missing tensor "ln_final.weight" (and 1 more problem)',
    );
  });

  it('refuses a config whose towers differ from the weights', () => {
    const wider = { ...cfg, text_cfg: { ...cfg.text_cfg, layers: 13 } };
    expect(thrown(() => validateClipWeights(wider, clip, 'clip.safetensors')).message).toMatch(/missing tensor "transformer\.resblocks\.12\.ln_1\.weight"/);
  });

  it('widens half-precision weights to float32', () => {
    const halved = new Map(clip);
    const ln = clip.get('ln_final.weight')!;
    const values = [1, -2, 0.5, 0.375, 0, -1.25];
    const f16: Tensor = { dtype: 'F16', shape: ln.shape, data: new Uint16Array(ln.shape[0]!).map((_, i) => exactHalfBits(values[i % values.length]!)) };
    halved.set('ln_final.weight', f16);
    halved.set('ln_final.bias', { dtype: 'BF16', shape: ln.shape, data: new Uint16Array(ln.shape[0]!).fill(0x3f80) });
    const checked = validateClipWeights(cfg, halved, 'fp16.safetensors');
    const w = checked.get('ln_final.weight')!;
    expect(w.dtype).toBe('F32');
    expect(Array.from(w.data as Float32Array).slice(0, 6)).toEqual(values);
    expect(Array.from(checked.get('ln_final.bias')!.data as Float32Array).every((x) => x === 1)).toBe(true);
  });
});

describe('validateAdapters', () => {
  it('accepts the fixture adapters', () => {
    const checked = validateAdapters(cfg, settings, adapters, 'adapters.safetensors');
    expect(checked.size).toBe(adapters.size);
    expect(checked.get('text_adapter.3.fc.0.weight')!.shape).toEqual([48, 48]);
    expect(checked.get('image_adapter.seg_proj.3.fc.weight')!.shape).toEqual([48, 64]);
  });

  it('names a wrong shape or a missing key', () => {
    const bad = new Map(adapters);
    bad.set('image_adapter.layer_adapters.2.fc.0.weight', { dtype: 'F32', shape: [64, 48], data: new Float32Array(64 * 48) });
    expect(thrown(() => validateAdapters(cfg, settings, bad, 'adapters.safetensors')).message).toBe(
      'adapters.safetensors: image_adapter.layer_adapters.2.fc.0.weight has shape [64, 48], the config needs [64, 64]',
    );
    const missing = new Map(adapters);
    missing.delete('image_adapter.det_proj.fc.weight');
    expect(thrown(() => validateAdapters(cfg, settings, missing, 'adapters.safetensors')).message).toBe(
      'adapters.safetensors: missing tensor "image_adapter.det_proj.fc.weight"',
    );
    const ints = new Map(adapters);
    ints.set('text_adapter.0.fc.0.weight', { dtype: 'I32', shape: [48, 48], data: new Int32Array(48 * 48) });
    expect(thrown(() => validateAdapters(cfg, settings, ints, 'a.safetensors')).message).toMatch(/text_adapter\.0\.fc\.0\.weight has dtype I32/);
  });

  it('follows the settings (more text adapters need more tensors)', () => {
    const more = { ...settings, textAdaptUntil: 4 };
    expect(thrown(() => validateAdapters(cfg, more, adapters, 'adapters.safetensors')).message).toMatch(/missing tensor "text_adapter\.4\.fc\.0\.weight"/);
  });
});

/** `tensors` with one value of `name` replaced (a copy: the fixture's data is shared). */
function withValue(tensors: TensorMap, name: string, index: number, value: number): TensorMap {
  const t = tensors.get(name)!;
  const data = Float32Array.from(t.data as Float32Array);
  data[index] = value;
  return new Map(tensors).set(name, { ...t, data });
}

describe('non-finite weights are refused at load, naming the tensor', () => {
  it('one NaN in a CLIP weight', () => {
    const bad = withValue(clip, 'transformer.resblocks.5.mlp.c_fc.weight', 17, Number.NaN);
    expect(thrown(() => validateClipWeights(cfg, bad, 'clip.safetensors')).message).toBe(
      'clip.safetensors: transformer.resblocks.5.mlp.c_fc.weight holds NaN at index 17 of 9216 (weights must be finite)',
    );
  });

  it('an infinity in a CLIP weight, also when it comes from half precision', () => {
    const inf = withValue(clip, 'visual.proj', 0, Number.NEGATIVE_INFINITY);
    expect(thrown(() => validateClipWeights(cfg, inf, 'clip.safetensors')).message).toMatch(/^clip\.safetensors: visual\.proj holds -Infinity at index 0 of 3072 /);
    const half = new Map(clip);
    const ln = clip.get('ln_final.weight')!;
    const bits = new Uint16Array(ln.shape[0]!).fill(0x3c00); // 1.0
    bits[3] = 0x7c00; // +inf in F16
    half.set('ln_final.weight', { dtype: 'F16', shape: ln.shape, data: bits });
    expect(thrown(() => validateClipWeights(cfg, half, 'fp16.safetensors')).message).toMatch(/^fp16\.safetensors: ln_final\.weight holds Infinity at index 3 /);
  });

  it('one NaN in an adapter weight', () => {
    const bad = withValue(adapters, 'image_adapter.det_proj.fc.weight', 5, Number.NaN);
    expect(thrown(() => validateAdapters(cfg, settings, bad, 'adapters.safetensors')).message).toBe(
      'adapters.safetensors: image_adapter.det_proj.fc.weight holds NaN at index 5 of 3072 (weights must be finite)',
    );
  });

  it('counts a non-finite tensor among the other problems', () => {
    const bad = withValue(adapters, 'text_adapter.0.fc.0.weight', 0, Number.NaN);
    bad.delete('image_adapter.det_proj.fc.weight');
    expect(thrown(() => validateAdapters(cfg, settings, bad, 'a.safetensors')).message).toBe(
      'a.safetensors: text_adapter.0.fc.0.weight holds NaN at index 0 of 2304 (weights must be finite) (and 1 more problem)',
    );
  });

  it('finds the first non-finite value at any position', () => {
    expect(firstNonFinite(new Float32Array([0, -0, 3.4e38, -1e-45]))).toBe(-1);
    expect(firstNonFinite(new Float32Array([1, 2, Number.NaN, Number.POSITIVE_INFINITY]))).toBe(2);
    expect(firstNonFinite(new Float32Array([1, 2, 3, Number.POSITIVE_INFINITY]))).toBe(3);
    expect(firstNonFinite(new Float32Array(0))).toBe(-1);
  });
});
