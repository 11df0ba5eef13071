// The reference's --relu adapter variant (tiny-aaclip adapters_relu.safetensors): recognised from
// its keys, validated under them, and run through the towers with a LeakyReLU after each seg/det
// projection — matching golden_relu.safetensors at the fixture README's tolerances.
import { describe, expect, it } from 'vitest';
import { AaclipError, adapterWeightShapes, buildTextModel, buildVisionModel, computeTextAnchors, projectionActivation, validateAdapters, type TensorMap } from '@aaclip/core';
import { maxAbsError } from '@aaclip/core/testing';
import { fixtureTensors, goldenFloats, loadFixture } from '../../../../test-support/fixtureLoader.js';
import { floatTensor, int64Tensor, runOnnx } from '../graph/runOnnx.js';

const TOKEN_TOLERANCE = 1e-4; // README: anchors, tokens 1e-4
const VISION_OUTPUTS = ['seg_tokens_0', 'seg_tokens_1', 'seg_tokens_2', 'seg_tokens_3', 'det_token'];

const relu = (): TensorMap => fixtureTensors('adapters_relu.safetensors');
const thrown = (work: () => unknown): Error => {
  try {
    work();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
};

describe('projectionActivation', () => {
  it('reads the form from the keys: fc.weight → none, fc.0.weight → leaky-relu', () => {
    expect(projectionActivation(loadFixture().adapters, 'adapters.safetensors')).toBe('none');
    expect(projectionActivation(relu(), 'adapters_relu.safetensors')).toBe('leaky-relu');
    // Text adapters alone (no projections) are the plain form; their missing tensors are named by the shape check.
    expect(projectionActivation(new Map([...relu()].filter(([k]) => k.startsWith('text_adapter.'))), 't')).toBe('none');
  });

  it('refuses a file mixing both forms, naming a key of each', () => {
    const mixed = relu();
    mixed.set('image_adapter.det_proj.fc.weight', mixed.get('image_adapter.det_proj.fc.0.weight')!);
    mixed.delete('image_adapter.det_proj.fc.0.weight');
    const error = thrown(() => projectionActivation(mixed, 'mixed.safetensors'));
    expect(error).toBeInstanceOf(AaclipError);
    expect(error.message).toBe(
      'mixed.safetensors: mixes the two projection forms: "image_adapter.det_proj.fc.weight" (plain Linear) and ' +
        '"image_adapter.seg_proj.0.fc.0.weight" (Linear + LeakyReLU, the reference\'s --relu); use adapters of one training run',
    );
  });
});

describe('validateAdapters on the --relu variant', () => {
  it('accepts it under its own keys, with the same weights as the plain file', () => {
    const { config, settings, adapters } = loadFixture();
    const checked = validateAdapters(config, settings, relu(), 'adapters_relu.safetensors');
    expect([...checked.keys()]).toEqual([...adapterWeightShapes(config, settings, 'leaky-relu').keys()]);
    expect(checked.get('image_adapter.seg_proj.2.fc.0.weight')!.data).toEqual(adapters.get('image_adapter.seg_proj.2.fc.weight')!.data);
  });

  it('names a missing or misshapen projection by its --relu key', () => {
    const { config, settings } = loadFixture();
    const missing = relu();
    missing.delete('image_adapter.seg_proj.3.fc.0.weight');
    expect(thrown(() => validateAdapters(config, settings, missing, 'r.safetensors')).message).toBe(
      'r.safetensors: missing tensor "image_adapter.seg_proj.3.fc.0.weight"',
    );
  });
});

describe('towers with the --relu adapters (golden_relu.safetensors)', () => {
  it('vision: seg tokens and det token within 1e-4; they differ from the plain variant', async () => {
    const { config, settings, clip } = loadFixture();
    const golden = fixtureTensors('golden_relu.safetensors');
    const model = buildVisionModel(config, clip, relu(), settings, { adaptersSource: 'adapters_relu.safetensors' });
    const pixels = goldenFloats(loadFixture(), 'pixel_values');
    const out = await runOnnx(model, { pixel_values: floatTensor(pixels, [3, 3, 48, 48]) });
    for (const name of VISION_OUTPUTS) {
      const ours = out[name]!.data as Float32Array;
      const error = maxAbsError(ours, golden.get(name)!.data as Float32Array);
      console.log(`relu vision ${name}: max abs error ${error.toExponential(2)}`);
      expect(error, name).toBeLessThan(TOKEN_TOLERANCE);
      // The LeakyReLU changes every output: the plain golden is far off.
      expect(maxAbsError(ours, goldenFloats(loadFixture(), name)), name).toBeGreaterThan(10 * TOKEN_TOLERANCE);
    }
  });

  it('text: the anchors are those of golden_relu (the text adapters are the same in both forms)', async () => {
    const { config, settings, clip } = loadFixture();
    const model = buildTextModel(config, clip, relu(), settings);
    const ids = fixtureTensors('golden.safetensors').get('prompt_tokens')!;
    const out = await runOnnx(model, { input_ids: int64Tensor(ids.data as BigInt64Array, ids.shape) });
    const embeds = out.text_embeds!.data as Float32Array;
    // The fixture's 16 prompts: 6 normal (3 states × 2 templates), then 10 abnormal.
    const anchors = computeTextAnchors(embeds, 48, 6, 10);
    expect(maxAbsError(anchors, fixtureTensors('golden_relu.safetensors').get('text_anchors')!.data as Float32Array)).toBeLessThan(TOKEN_TOLERANCE);
  });
});
