// AA-CLIP's frozen stage-1 feature CLIP ("surgery", V-V attention from block 5) against the
// reference's stage-1 features in tiny-aaclip/train.safetensors (from golden.safetensors' pixels).
import { describe, expect, it } from 'vitest';
import { AaclipError, buildSurgeryVisionModel } from '@aaclip/core';
import type { OnnxModel, TensorMap } from '@aaclip/core';
import { goldenFloats, loadFixture, fixtureTensors } from '../../../../test-support/fixtureLoader.js';
import { floatTensor, runOnnx } from './runOnnx.js';
import { maxAbsError } from '@aaclip/core/testing';

// README tolerance for tokens.
const TOKEN_TOLERANCE = 1e-4;
const LEVELS = 4;
const OUTPUTS = [...Array.from({ length: LEVELS }, (_, k) => `surgery_features_${k}`), 'cls_embedding'];
const GOLDEN_NAMES: Record<string, string> = {
  ...Object.fromEntries(Array.from({ length: LEVELS }, (_, k) => [`surgery_features_${k}`, `stage1_surgery_features_${k}`])),
  cls_embedding: 'stage1_cls_embedding',
};

let train: TensorMap | undefined;
function trainGolden(name: string): Float32Array {
  train ??= fixtureTensors('train.safetensors');
  const t = train.get(name);
  if (!t || !(t.data instanceof Float32Array)) throw new Error(`train.safetensors has no F32 tensor "${name}"`);
  return t.data;
}

async function expectReferenceOutputs(model: OnnxModel, label: string): Promise<void> {
  const fixture = loadFixture();
  const out = await runOnnx(model, { pixel_values: floatTensor(goldenFloats(fixture, 'pixel_values'), [3, 3, 48, 48]) });
  for (const name of OUTPUTS) {
    const error = maxAbsError(out[name]!.data as Float32Array, trainGolden(GOLDEN_NAMES[name]!));
    console.log(`${label} ${name}: max abs error ${error.toExponential(2)}`);
    expect(error, name).toBeLessThan(TOKEN_TOLERANCE);
  }
}

describe('surgery tower (tiny-aaclip fixture, 48×48, V-V attention in blocks 5–23)', () => {
  it('matches the reference stage-1 features and CLS embedding within 1e-4', async () => {
    const fixture = loadFixture();
    const model = buildSurgeryVisionModel(fixture.config, fixture.clip, fixture.settings);
    expect(model.inputNames).toEqual(['pixel_values']);
    expect(model.outputNames).toEqual(OUTPUTS);
    await expectReferenceOutputs(model, 'surgery');
  });

  it('moves the fork with surgeryFromBlock, and refuses a block the tower does not have', async () => {
    const fixture = loadFixture();
    const later = buildSurgeryVisionModel(fixture.config, fixture.clip, fixture.settings, { surgeryFromBlock: 6 });
    const out = await runOnnx(later, { pixel_values: floatTensor(goldenFloats(fixture, 'pixel_values'), [3, 3, 48, 48]) });
    // Level 0 (after block 6) now reads plain CLIP's tokens; the CLS embedding is unchanged.
    expect(maxAbsError(out.surgery_features_0!.data as Float32Array, trainGolden('stage1_surgery_features_0'))).toBeGreaterThan(1e-2);
    expect(maxAbsError(out.cls_embedding!.data as Float32Array, trainGolden('stage1_cls_embedding'))).toBeLessThan(TOKEN_TOLERANCE);
    expect(() => buildSurgeryVisionModel(fixture.config, fixture.clip, fixture.settings, { surgeryFromBlock: 24 })).toThrow(AaclipError);
    expect(() => buildSurgeryVisionModel(fixture.config, fixture.clip, fixture.settings, { surgeryFromBlock: 24 })).toThrow(
      /^surgeryFromBlock: must be a block index in 0\.\.23/,
    );
  });
});
