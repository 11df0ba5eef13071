import { describe, expect, it } from 'vitest';
import { buildTextModel, computeTextAnchors } from '@aaclip/core';
import type { OnnxModel } from '@aaclip/core';
import { goldenFloats, loadFixture } from '../../../../test-support/fixtureLoader.js';
import { int64Tensor, runOnnx } from './runOnnx.js';
import { maxAbsError } from '@aaclip/core/testing';

const TOLERANCE = 1e-4;
const EMBED = 48;
// The fixture's 16 prompts: 3 normal states × 2 templates, then 5 abnormal states × 2 templates.
const NORMAL = 6;
const ABNORMAL = 10;

async function encodePrompts(model: OnnxModel): Promise<Float32Array> {
  const tokens = loadFixture().golden.get('prompt_tokens')!;
  expect(tokens.dtype).toBe('I64');
  const out = await runOnnx(model, { input_ids: int64Tensor(tokens.data as BigInt64Array, [16, 77]) });
  expect(out.text_embeds!.dims).toEqual([16, EMBED]);
  return out.text_embeds!.data as Float32Array;
}

function normalizeRows(data: Float32Array, width: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < data.length / width; r++) {
    let s = 0;
    for (let c = 0; c < width; c++) s += data[r * width + c]! ** 2;
    const n = Math.sqrt(s);
    for (let c = 0; c < width; c++) out[r * width + c] = data[r * width + c]! / n;
  }
  return out;
}

describe('text tower (tiny-aaclip fixture)', () => {
  it('adapted: normalised prompt embeddings and anchors match the reference within 1e-4', async () => {
    const fixture = loadFixture();
    const model = buildTextModel(fixture.config, fixture.clip, fixture.adapters, fixture.settings);
    expect(model.inputNames).toEqual(['input_ids']);
    expect(model.outputNames).toEqual(['text_embeds']);
    const embeds = await encodePrompts(model);
    const featureError = maxAbsError(normalizeRows(embeds, EMBED), goldenFloats(fixture, 'text_features_adapted'));
    const anchorError = maxAbsError(computeTextAnchors(embeds, EMBED, NORMAL, ABNORMAL), goldenFloats(fixture, 'text_anchors'));
    console.log(`text adapted: features max abs error ${featureError.toExponential(2)}, anchors ${anchorError.toExponential(2)}`);
    expect(featureError).toBeLessThan(TOLERANCE);
    expect(anchorError).toBeLessThan(TOLERANCE);
  });

  it('plain CLIP (text_projection): anchors match the reference within 1e-4', async () => {
    const fixture = loadFixture();
    const embeds = await encodePrompts(buildTextModel(fixture.config, fixture.clip, null, fixture.settings));
    const anchorError = maxAbsError(computeTextAnchors(embeds, EMBED, NORMAL, ABNORMAL), goldenFloats(fixture, 'text_anchors_plain'));
    console.log(`text plain: anchors max abs error ${anchorError.toExponential(2)}`);
    expect(anchorError).toBeLessThan(TOLERANCE);
  });

  it('names the adapter that does not fit the text tower', () => {
    const fixture = loadFixture();
    const adapters = new Map(fixture.adapters);
    adapters.delete('text_adapter.3.fc.0.weight');
    expect(() =>
      buildTextModel(fixture.config, fixture.clip, adapters, fixture.settings, { adaptersSource: 'adapters.safetensors' }),
    ).toThrow(/^adapters\.safetensors: missing tensor "text_adapter\.3\.fc\.0\.weight"/);
  });
});
