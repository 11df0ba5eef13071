import { describe, expect, it } from 'vitest';
import { AaclipError, buildVisionModel } from '@aaclip/core';
import type { OnnxModel } from '@aaclip/core';
import { goldenFloats, loadFixture } from '../../../../test-support/fixtureLoader.js';
import { floatTensor, runOnnx } from './runOnnx.js';
import { maxAbsError } from '@aaclip/core/testing';

// README tolerance for tokens.
const TOKEN_TOLERANCE = 1e-4;
const OUTPUTS = ['seg_tokens_0', 'seg_tokens_1', 'seg_tokens_2', 'seg_tokens_3', 'det_token'];

async function runVision(model: OnnxModel): Promise<Record<string, Float32Array>> {
  const fixture = loadFixture();
  const pixels = goldenFloats(fixture, 'pixel_values');
  const out = await runOnnx(model, { pixel_values: floatTensor(pixels, [3, 3, 48, 48]) });
  return Object.fromEntries(OUTPUTS.map((name) => [name, out[name]!.data as Float32Array]));
}

describe('vision tower (tiny-aaclip fixture, 48×48, position grid 4×4 → 6×6)', () => {
  it('matches the reference seg tokens and det token within 1e-4', async () => {
    const fixture = loadFixture();
    const model = buildVisionModel(fixture.config, fixture.clip, fixture.adapters, fixture.settings);
    expect(model.inputNames).toEqual(['pixel_values']);
    expect(model.outputNames).toEqual(OUTPUTS);
    expect(model.externalData).toHaveLength(0);
    const outputs = await runVision(model);
    for (const name of OUTPUTS) {
      const error = maxAbsError(outputs[name]!, goldenFloats(fixture, name));
      console.log(`vision ${name}: max abs error ${error.toExponential(2)}`);
      expect(error, name).toBeLessThan(TOKEN_TOLERANCE);
    }
  });

  it('gives the same outputs with every initializer in external data, packed or one entry per tensor', async () => {
    const fixture = loadFixture();
    const packed = buildVisionModel(fixture.config, fixture.clip, fixture.adapters, fixture.settings, {
      externalDataThreshold: 256,
      externalDataLayout: 'packed',
    });
    expect(packed.externalData.map((f) => f.path)).toEqual(['aaclip-vision.onnx.data']);
    expect(packed.externalData[0]!.data.byteLength).toBeGreaterThan(packed.model.byteLength);
    const perTensor = buildVisionModel(fixture.config, fixture.clip, fixture.adapters, fixture.settings, { externalDataThreshold: 256 });
    expect(perTensor.externalData.length).toBeGreaterThan(100);
    perTensor.externalData.forEach((f, i) => expect(f.path).toBe(`aaclip-vision.onnx.data.${i}`));
    // The entries are the weights' own memory (the interpolated position grid is new data).
    const weightBuffers = new Set([...fixture.clip.values(), ...fixture.adapters.values()].map((t) => t.data.buffer));
    const viewed = perTensor.externalData.filter((f) => weightBuffers.has(f.data.buffer)).length;
    expect(viewed).toBe(perTensor.externalData.length - 1);
    for (const model of [packed, perTensor]) {
      const outputs = await runVision(model);
      for (const name of OUTPUTS) {
        expect(maxAbsError(outputs[name]!, goldenFloats(fixture, name)), name).toBeLessThan(TOKEN_TOLERANCE);
      }
    }
  });

  it('builds plain CLIP without adapters: unit-norm tokens and det token of the right shapes', async () => {
    const fixture = loadFixture();
    const model = buildVisionModel(fixture.config, fixture.clip, null, fixture.settings);
    const outputs = await runVision(model);
    const checkUnitRows = (data: Float32Array, rows: number): void => {
      expect(data.length).toBe(rows * 48);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let c = 0; c < 48; c++) s += data[r * 48 + c]! ** 2;
        expect(Math.abs(Math.sqrt(s) - 1)).toBeLessThan(1e-5);
      }
    };
    for (let k = 0; k < 4; k++) checkUnitRows(outputs[`seg_tokens_${k}`]!, 3 * 36);
    checkUnitRows(outputs.det_token!, 3);
    // Plain tokens differ from the adapted ones (the adapters change the features).
    expect(maxAbsError(outputs.seg_tokens_0!, goldenFloats(fixture, 'seg_tokens_0'))).toBeGreaterThan(1e-2);
  });

  it('names the missing or misshapen tensor when the weights do not fit the config', () => {
    const fixture = loadFixture();
    const clip = new Map(fixture.clip);
    clip.delete('visual.ln_post.bias');
    expect(() => buildVisionModel(fixture.config, clip, fixture.adapters, fixture.settings, { weightsSource: 'clip.safetensors' })).toThrow(
      /^clip\.safetensors: missing tensor "visual\.ln_post\.bias"/,
    );
    const adapters = new Map(fixture.adapters);
    adapters.set('image_adapter.det_proj.fc.weight', { dtype: 'F32', shape: [48, 63], data: new Float32Array(48 * 63) });
    expect(() => buildVisionModel(fixture.config, fixture.clip, adapters, fixture.settings)).toThrow(AaclipError);
    expect(() => buildVisionModel(fixture.config, fixture.clip, adapters, fixture.settings)).toThrow(/det_proj\.fc\.weight has shape \[48, 63\]/);
    expect(() => buildVisionModel(fixture.config, fixture.clip, null, { ...fixture.settings, imageSize: 50 })).toThrow(/imageSize/);
  });
});
