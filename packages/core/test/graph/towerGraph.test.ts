import { describe, expect, it } from 'vitest';
import { buildTextTowerGraph, buildVisionTowerGraph, validateGraph } from '@aaclip/core';
import { loadFixture } from '../../../../test-support/fixtureLoader.js';

// The plain ONNX ops the towers may use (what an autodiff pass over the IR has to differentiate).
const PLAIN_OPS = new Set([
  'MatMul', 'Gemm', 'Add', 'Sub', 'Mul', 'Div', 'Sqrt', 'Erf', 'Sigmoid', 'LeakyRelu', 'Softmax', 'Transpose', 'Reshape',
  'Concat', 'Slice', 'Gather', 'ReduceSum', 'ReduceMean', 'LayerNormalization', 'Shape', 'Expand', 'Identity',
  'Cast', 'ArgMax', 'Equal', 'Unsqueeze',
]);

describe('tower graphs', () => {
  it('keep every adapter weight as an initializer under its state-dict key, in PyTorch layout', () => {
    const fixture = loadFixture();
    const vision = buildVisionTowerGraph(fixture.config, fixture.clip, fixture.adapters, fixture.settings);
    const text = buildTextTowerGraph(fixture.config, fixture.clip, fixture.adapters, fixture.settings);
    for (const [key, tensor] of fixture.adapters) {
      const graph = key.startsWith('image_adapter.') ? vision : text;
      const stored = graph.initializers.get(key);
      expect(stored, key).toBeDefined();
      expect(stored!.shape).toEqual(tensor.shape);
      expect(stored!.data).toEqual(tensor.data);
    }
  });

  it('are valid SSA graphs made of plain ONNX ops only', () => {
    const fixture = loadFixture();
    for (const adapters of [fixture.adapters, null]) {
      for (const graph of [
        buildVisionTowerGraph(fixture.config, fixture.clip, adapters, fixture.settings),
        buildTextTowerGraph(fixture.config, fixture.clip, adapters, fixture.settings),
      ]) {
        expect(() => validateGraph(graph)).not.toThrow();
        const unknown = graph.nodes.filter((n) => !PLAIN_OPS.has(n.op) || (n.domain ?? '') !== '').map((n) => n.op);
        expect(unknown).toEqual([]);
      }
    }
  });
});
