import { describe, expect, it } from 'vitest';
import { SeededRandom, stripCommonPrefix, type Tensor } from '@aaclip/core';
import { initialAdapters, stageAdapterShapes, xavierBound, xavierStream, xavierUniform, xavierUniformAdapters } from '@aaclip/train';
import { fixtureFile } from '../../../test-support/fixture.js';
import { fixtureTensors, readTensorFile } from '../../../test-support/fixtureLoader.js';
import { biggerShapes, tinyAdapterShapes } from './modelShapes.js';

const floats = (t: Tensor): Float32Array => t.data as Float32Array;

describe('Xavier-uniform initialisation', () => {
  it('draws uniformly in ±√(6 / (fan_in + fan_out)) for a weight [out, in]', () => {
    expect(xavierBound(64, 48)).toBeCloseTo(Math.sqrt(6 / 112), 15);
    const w = xavierUniform([48, 64], SeededRandom.fromSeed(3));
    expect(w).toHaveLength(48 * 64);
    const bound = Math.fround(xavierBound(64, 48));
    let max = 0;
    let sum = 0;
    let sumSq = 0;
    for (const v of w) {
      max = Math.max(max, Math.abs(v));
      sum += v;
      sumSq += v * v;
    }
    expect(max).toBeLessThanOrEqual(bound);
    expect(max).toBeGreaterThan(0.99 * bound);
    expect(Math.abs(sum / w.length)).toBeLessThan(0.02 * bound);
    // Variance of U(−b, b) is b²/3.
    expect(sumSq / w.length / ((bound * bound) / 3)).toBeCloseTo(1, 1);
    expect(() => xavierUniform([5], SeededRandom.fromSeed(3))).toThrowError(/needs a weight matrix \[out, in\], got \[5\]/);
  });

  it('is deterministic per seed and per weight, whatever else is initialised', async () => {
    const shapes = await tinyAdapterShapes();
    const a = xavierUniformAdapters(shapes, 111);
    const b = xavierUniformAdapters(shapes, 111);
    const c = xavierUniformAdapters(shapes, 112);
    expect([...a.keys()]).toEqual([...shapes.keys()]);
    for (const [key, t] of a) {
      expect(t.shape).toEqual(shapes.get(key));
      expect(t.dtype).toBe('F32');
      expect(floats(t)).toEqual(floats(b.get(key)!));
      expect(floats(t)).not.toEqual(floats(c.get(key)!));
      const [out, inp] = t.shape as [number, number];
      expect(Math.max(...Array.from(floats(t), Math.abs))).toBeLessThanOrEqual(Math.fround(xavierBound(inp, out)));
    }
    const textOnly = xavierUniformAdapters(stageAdapterShapes(shapes, 'text'), 111);
    for (const [key, t] of textOnly) expect(floats(t)).toEqual(floats(a.get(key)!));
    // Each weight has its own stream: no two weights of one shape start alike.
    expect(floats(a.get('text_adapter.0.fc.0.weight')!)).not.toEqual(floats(a.get('text_adapter.1.fc.0.weight')!));
    const key = 'text_adapter.0.fc.0.weight';
    expect(floats(a.get(key)!)).toEqual(xavierUniform(shapes.get(key)!, SeededRandom.fromSeed(111).fork('xavier-uniform').fork(key)));
    expect(xavierStream(111, key).name).toBe(SeededRandom.fromSeed(111).fork('xavier-uniform').fork(key).name);
  });
});

describe('the adapters a run starts from', () => {
  it('without --init-adapters: every weight Xavier-initialised, in the model\'s key order', async () => {
    const shapes = await tinyAdapterShapes();
    const init = await initialAdapters({ shapes, seed: 111 });
    expect(init.origin).toEqual({ text: 'xavier', image: 'xavier' });
    expect([...init.tensors.keys()]).toEqual([...shapes.keys()]);
    const expected = xavierUniformAdapters(shapes, 111);
    for (const [key, t] of init.tensors) expect(floats(t)).toEqual(floats(expected.get(key)!));
  });

  it('from a safetensors file: both stages loaded as they are', async () => {
    const shapes = await tinyAdapterShapes();
    const file = fixtureFile('adapters.safetensors');
    const init = await initialAdapters({ shapes, seed: 111, files: [file] });
    expect(init.origin).toEqual({ text: 'file', image: 'file' });
    const stored = readTensorFile(file);
    for (const [key, t] of init.tensors) expect(floats(t)).toEqual(floats(stored.get(key)!));
  });

  it('from the reference\'s .pth: the stage it holds is loaded, the other one Xavier-initialised', async () => {
    const shapes = await tinyAdapterShapes();
    const stored = stripCommonPrefix(fixtureTensors('adapters.safetensors'));
    const init = await initialAdapters({ shapes, seed: 111, files: [fixtureFile('text_adapter.pth')] });
    expect(init.origin).toEqual({ text: 'file', image: 'xavier' });
    const fresh = xavierUniformAdapters(shapes, 111);
    for (const [key, t] of init.tensors) {
      expect(floats(t)).toEqual(floats((key.startsWith('text_adapter.') ? stored : fresh).get(key)!));
    }
    const both = await initialAdapters({ shapes, seed: 111, files: [fixtureFile('text_adapter.pth'), fixtureFile('image_adapter_20.pth')] });
    expect(both.origin).toEqual({ text: 'file', image: 'file' });
    for (const [key, t] of both.tensors) expect(floats(t)).toEqual(floats(stored.get(key)!));
  });

  it('adapters of another model size fail naming the tensor and both shapes', async () => {
    const shapes = await tinyAdapterShapes();
    const file = fixtureFile('adapters.safetensors');
    const [key, shape] = [...shapes][0]!;
    await expect(initialAdapters({ shapes: biggerShapes(shapes), seed: 1, files: [file] })).rejects.toThrowError(
      `${file}: ${key} has shape [${shape.join(', ')}], the config needs [${shape.map((d) => d * 2).join(', ')}]`,
    );
  });

  it("the reference's --relu variant is refused by name (training builds the plain projections)", async () => {
    const shapes = await tinyAdapterShapes();
    const file = fixtureFile('adapters_relu.safetensors');
    await expect(initialAdapters({ shapes, seed: 1, files: [file] })).rejects.toThrowError(
      `${file}: holds the reference's --relu adapter variant ("image_adapter.seg_proj.0.fc.0.weight": projections followed by a LeakyReLU)`,
    );
  });

  it('a file without adapter weights is refused', async () => {
    const shapes = await tinyAdapterShapes();
    const file = fixtureFile('clip.safetensors');
    await expect(initialAdapters({ shapes, seed: 1, files: [file] })).rejects.toThrowError(`${file}: holds no adapter weights`);
  });
});
