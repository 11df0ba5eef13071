// The towers built with onnxruntime's fused MultiHeadAttention must compute what the plain graph
// computes: the fixture's golden values within the README's 1e-4, on onnxruntime-node's CPU.
import { describe, expect, it } from 'vitest';
import { buildTextModel, buildTextTowerGraph, buildVisionModel, buildVisionTowerGraph, computeTextAnchors } from '@aaclip/core';
import { goldenFloats, loadFixture } from '../../../../test-support/fixtureLoader.js';
import { floatTensor, int64Tensor, runOnnx } from './runOnnx.js';
import { maxAbsError } from '@aaclip/core/testing';

const TOLERANCE = 1e-4;
const VISION_OUTPUTS = ['seg_tokens_0', 'seg_tokens_1', 'seg_tokens_2', 'seg_tokens_3', 'det_token'];

describe('towers with fused attention (com.microsoft MultiHeadAttention)', () => {
  it('replace every block attention by one MultiHeadAttention node, and nothing else', () => {
    const fixture = loadFixture();
    const vision = buildVisionTowerGraph(fixture.config, fixture.clip, fixture.adapters, fixture.settings, { fusedAttention: true });
    const text = buildTextTowerGraph(fixture.config, fixture.clip, fixture.adapters, fixture.settings, { fusedAttention: true });
    for (const [graph, blocks] of [
      [vision, fixture.settings.levels[fixture.settings.levels.length - 1]!],
      [text, fixture.config.text_cfg.layers],
    ] as const) {
      const fused = graph.nodes.filter((n) => n.op === 'MultiHeadAttention');
      expect(fused).toHaveLength(blocks);
      expect(fused.every((n) => n.domain === 'com.microsoft')).toBe(true);
      expect(graph.nodes.filter((n) => n.op === 'Softmax')).toHaveLength(0);
      expect(graph.nodes.filter((n) => (n.domain ?? '') !== '' && n.op !== 'MultiHeadAttention')).toEqual([]);
    }
  });

  it('vision: seg tokens and det token match the reference within 1e-4', async () => {
    const fixture = loadFixture();
    const model = buildVisionModel(fixture.config, fixture.clip, fixture.adapters, fixture.settings, { fusedAttention: true });
    const out = await runOnnx(model, { pixel_values: floatTensor(goldenFloats(fixture, 'pixel_values'), [3, 3, 48, 48]) });
    for (const name of VISION_OUTPUTS) {
      const error = maxAbsError(out[name]!.data as Float32Array, goldenFloats(fixture, name));
      console.log(`fused vision ${name}: max abs error ${error.toExponential(2)}`);
      expect(error, name).toBeLessThan(TOLERANCE);
    }
  });

  it('text (causal mask as attention bias): adapted and plain anchors match the reference within 1e-4', async () => {
    const fixture = loadFixture();
    const tokens = fixture.golden.get('prompt_tokens')!;
    for (const [adapters, golden] of [
      [fixture.adapters, 'text_anchors'],
      [null, 'text_anchors_plain'],
    ] as const) {
      const model = buildTextModel(fixture.config, fixture.clip, adapters, fixture.settings, { fusedAttention: true });
      const out = await runOnnx(model, { input_ids: int64Tensor(tokens.data as BigInt64Array, [16, 77]) });
      const anchors = computeTextAnchors(out.text_embeds!.data as Float32Array, 48, 6, 10);
      const error = maxAbsError(anchors, goldenFloats(fixture, golden));
      console.log(`fused text ${golden}: max abs error ${error.toExponential(2)}`);
      expect(error, golden).toBeLessThan(TOLERANCE);
    }
  });
});
