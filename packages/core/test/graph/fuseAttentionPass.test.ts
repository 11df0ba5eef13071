// The fuse-attention pass: the towers emit plain attention only; the pass replaces every block's
// attention by one com.microsoft MultiHeadAttention node, and the rewritten towers compute the
// fixture's golden values within the README's 1e-4 on onnxruntime-node's CPU.
import { describe, expect, it } from 'vitest';
import {
  buildSurgeryTowerGraph,
  buildSurgeryVisionModel,
  buildTextModel,
  buildTextTowerGraph,
  buildVisionModel,
  buildVisionTowerGraph,
  computeTextAnchors,
  fuseAttention,
  inferShapes,
  withInputShapes,
  type Graph,
} from '@aaclip/core';
import { maxAbsError } from '@aaclip/core/testing';
import { goldenFloats, loadFixture } from '../../../../test-support/fixtureLoader.js';
import { floatTensor, int64Tensor, runOnnx } from './runOnnx.js';

const TOLERANCE = 1e-4;
const VISION_OUTPUTS = ['seg_tokens_0', 'seg_tokens_1', 'seg_tokens_2', 'seg_tokens_3', 'det_token'];
const passes = [fuseAttention];
const ops = (graph: Graph, op: string) => graph.nodes.filter((n) => n.op === op);

describe('fuse-attention pass', () => {
  it('the towers emit plain attention only', () => {
    const fixture = loadFixture();
    const vision = buildVisionTowerGraph(fixture.config, fixture.clip, fixture.adapters, fixture.settings);
    expect(ops(vision, 'MultiHeadAttention')).toEqual([]);
    expect(ops(vision, 'Softmax').length).toBeGreaterThan(0);
    expect(vision.nodes.filter((n) => (n.domain ?? '') !== '')).toEqual([]);
  });

  it('replaces every block attention by one MultiHeadAttention node, and leaves no softmax or unused weight', () => {
    const fixture = loadFixture();
    const vision = buildVisionTowerGraph(fixture.config, fixture.clip, fixture.adapters, fixture.settings, { passes });
    const text = buildTextTowerGraph(fixture.config, fixture.clip, fixture.adapters, fixture.settings, { passes });
    for (const [graph, blocks] of [
      [vision, fixture.settings.levels[fixture.settings.levels.length - 1]!],
      [text, fixture.config.text_cfg.layers],
    ] as const) {
      const fused = ops(graph, 'MultiHeadAttention');
      expect(fused).toHaveLength(blocks);
      expect(fused.every((n) => n.domain === 'com.microsoft')).toBe(true);
      expect(ops(graph, 'Softmax')).toHaveLength(0);
      expect(graph.nodes.filter((n) => (n.domain ?? '') !== '' && n.op !== 'MultiHeadAttention')).toEqual([]);
      // Every initializer is still read (dead code went, and with it the unfused constants).
      const read = new Set(graph.nodes.flatMap((n) => n.inputs));
      expect([...graph.initializers.keys()].filter((name) => !read.has(name))).toEqual([]);
      expect(() => inferShapes(graph)).not.toThrow();
    }
  });

  it("gives the text tower's causal mask to MultiHeadAttention expanded to [batch, heads, N, N] (WebGPU rejects a broadcast one)", () => {
    const fixture = loadFixture();
    const text = buildTextTowerGraph(fixture.config, fixture.clip, fixture.adapters, fixture.settings, { passes });
    // With a concrete batch of 16 prompts every shape folds.
    const { types } = inferShapes(withInputShapes(text, { input_ids: [16, fixture.config.text_cfg.context_length] }));
    const { heads, context_length: n } = fixture.config.text_cfg;
    for (const node of ops(text, 'MultiHeadAttention')) {
      expect(node.inputs).toHaveLength(6);
      expect(node.inputs.slice(3, 5)).toEqual(['', '']);
      const bias = types.get(node.inputs[5]!)!;
      expect(bias.shape).toEqual([16, heads, n, n]);
      expect(text.nodes.find((m) => m.outputs.includes(node.inputs[5]!))!.op).toBe('Expand');
    }
  });

  it('vision: seg tokens and det token match the reference within 1e-4', async () => {
    const fixture = loadFixture();
    const model = buildVisionModel(fixture.config, fixture.clip, fixture.adapters, fixture.settings, { passes });
    const out = await runOnnx(model, { pixel_values: floatTensor(goldenFloats(fixture, 'pixel_values'), [3, 3, 48, 48]) });
    for (const name of VISION_OUTPUTS) {
      const error = maxAbsError(out[name]!.data as Float32Array, goldenFloats(fixture, name));
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
      const model = buildTextModel(fixture.config, fixture.clip, adapters, fixture.settings, { passes });
      const out = await runOnnx(model, { input_ids: int64Tensor(tokens.data as BigInt64Array, [16, 77]) });
      const anchors = computeTextAnchors(out.text_embeds!.data as Float32Array, 48, 6, 10);
      expect(maxAbsError(anchors, goldenFloats(fixture, golden)), golden).toBeLessThan(TOLERANCE);
    }
  });

  it("fuses the surgery tower's V-V attention (MultiHeadAttention on v, v, v) and its plain blocks", async () => {
    const fixture = loadFixture();
    const graph = buildSurgeryTowerGraph(fixture.config, fixture.clip, fixture.settings, { passes });
    // 5 shared blocks, 19 V-V blocks to the last tap, 19 plain blocks beside them for the CLS embedding.
    const fused = ops(graph, 'MultiHeadAttention');
    expect(fused).toHaveLength(5 + 19 + 19);
    expect(fused.filter((n) => n.inputs[0] === n.inputs[2] && n.inputs[1] === n.inputs[2])).toHaveLength(19);
    expect(ops(graph, 'Softmax')).toHaveLength(0);
    const model = buildSurgeryVisionModel(fixture.config, fixture.clip, fixture.settings, { passes });
    const plain = buildSurgeryVisionModel(fixture.config, fixture.clip, fixture.settings);
    const feeds = { pixel_values: floatTensor(goldenFloats(fixture, 'pixel_values'), [3, 3, 48, 48]) };
    const [a, b] = [await runOnnx(model, feeds), await runOnnx(plain, feeds)];
    for (const name of Object.keys(b)) expect(maxAbsError(a[name]!.data as Float32Array, b[name]!.data as Float32Array), name).toBeLessThan(TOLERANCE);
  });

  it('leaves a graph without the pattern as it is', () => {
    const fixture = loadFixture();
    const fused = buildVisionTowerGraph(fixture.config, fixture.clip, fixture.adapters, fixture.settings, { passes });
    expect(fuseAttention.apply(fused)).toBe(fused);
  });
});
