// The rewrite passes besides fused attention (fuse-gelu, float16, int8), how passes are selected
// from a device's capabilities, and that graphs to be differentiated keep what autodiff needs.
// Accuracy of whole towers per precision is the conformance suite's (conformanceSuite.test.ts and
// every backend's conformance.test.ts).
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import {
  AaclipError,
  GraphBuilder,
  applyPasses,
  buildTextTowerGraph,
  buildVisionTowerGraph,
  convertToFloat16,
  float32ToHalfBits,
  fuseAttention,
  fuseGelu,
  gradients,
  inferShapes,
  int8,
  onnxModelFromGraph,
  quantizeInt8,
  quantizePerChannel,
  selectPasses,
  type DeviceCapabilities,
  type Graph,
} from '@aaclip/core';
import { maxAbsError } from '@aaclip/core/testing';
import { loadFixture } from '../../../../test-support/fixtureLoader.js';
import { floatTensor, runOnnx } from './runOnnx.js';

function randomFloats(n: number, seed: number, scale = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 16807) % 2147483647;
    return ((s / 2147483647) * 2 - 1) * scale;
  });
}

const ROWS = 6;
const WIDTH = 16;

/** LayerNorm → Linear → GELU (exact or quick) → Linear, + x; then a squared-mean loss. */
function block(quick: boolean): Graph {
  const g = new GraphBuilder('block');
  const x = g.input('x', 'F32', [ROWS, WIDTH]);
  const w = (name: string, shape: number[], seed: number) => g.initializer({ dtype: 'F32', shape, data: randomFloats(shape.reduce((a, b) => a * b, 1), seed, 0.3) }, name);
  const ln = g.layerNorm(x, w('ln.weight', [WIDTH], 3), w('ln.bias', [WIDTH], 5), 1e-5);
  const hidden = g.gelu(g.linearRows(ln, w('fc.weight', [4 * WIDTH, WIDTH], 7), w('fc.bias', [4 * WIDTH], 11)), quick);
  const out = g.add(x, g.linearRows(hidden, w('proj.weight', [WIDTH, 4 * WIDTH], 13), w('proj.bias', [WIDTH], 17)), 'out');
  g.output(out, 'y', 'F32', [ROWS, WIDTH]);
  g.output(g.reduceMean(g.mul(out, out), [0, 1], false), 'loss', 'F32', []);
  return g.build();
}

const feeds = { x: floatTensor(randomFloats(ROWS * WIDTH, 29), [ROWS, WIDTH]) };
const run = async (graph: Graph) => (await runOnnx(onnxModelFromGraph(graph), feeds)).y!.data as Float32Array;

const CPU_LIKE: DeviceCapabilities = {
  ops: ['com.microsoft:MultiHeadAttention', 'com.microsoft:Gelu', 'com.microsoft:QuickGelu', 'com.microsoft:DynamicQuantizeMatMul'],
  precisions: ['fp32', 'fp16', 'int8'],
};

describe('fuse-gelu pass', () => {
  for (const quick of [false, true]) {
    it(`replaces the ${quick ? 'QuickGELU' : 'exact GELU'} pattern by one ${quick ? 'QuickGelu' : 'Gelu'} node, same numbers`, async () => {
      const plain = block(quick);
      const fused = fuseGelu.apply(plain);
      const op = quick ? 'QuickGelu' : 'Gelu';
      expect(fused.nodes.filter((n) => n.op === op && n.domain === 'com.microsoft')).toHaveLength(1);
      expect(fused.nodes.filter((n) => ['Erf', 'Sigmoid'].includes(n.op))).toEqual([]);
      expect(fused.nodes.length).toBeLessThan(plain.nodes.length);
      expect(maxAbsError(await run(fused), await run(plain))).toBeLessThan(1e-5);
    });
  }

  it('fuses every MLP GELU of the fixture towers (the towers already emit LayerNormalization, nothing to fuse there)', () => {
    const fixture = loadFixture();
    const vision = buildVisionTowerGraph(fixture.config, fixture.clip, fixture.adapters, fixture.settings, { passes: [fuseGelu] });
    expect(vision.nodes.filter((n) => n.op === 'Gelu')).toHaveLength(fixture.settings.levels.at(-1)!);
    expect(vision.nodes.filter((n) => n.op === 'Erf')).toEqual([]);
    expect(vision.nodes.filter((n) => n.op === 'LayerNormalization').length).toBeGreaterThan(0);
  });
});

describe('float16 pass', () => {
  it('rounds float32 to the nearest half, ties to even, with overflow to infinity and subnormals', () => {
    const values = new Float32Array([1, -2, 65504, 65520, 1e6, 2 ** -24, 2 ** -25, 1 + 2 ** -11, 1 + 3 * 2 ** -11, -Infinity, 0.1]);
    expect(Array.from(float32ToHalfBits(values))).toEqual([0x3c00, 0xc000, 0x7bff, 0x7c00, 0x7c00, 0x0001, 0x0000, 0x3c00, 0x3c02, 0xfc00, 0x2e66]);
    expect(Number.isNaN(new Float32Array([NaN])[0])).toBe(true);
    expect(float32ToHalfBits(new Float32Array([NaN]))[0]! & 0x7c00).toBe(0x7c00);
  });

  it('keeps inputs, outputs, LayerNorm, softmax and the squares in float32; halves the weights; same numbers within float16 rounding', async () => {
    const plain = block(false);
    const half = convertToFloat16(plain);
    const { types } = inferShapes(half);
    expect(half.inputs.map((v) => v.dtype)).toEqual(['F32']);
    expect(half.outputs.map((v) => types.get(v.name)!.dtype)).toEqual(['F32', 'F32']);
    const dtypeOf = (op: string) => half.nodes.filter((n) => n.op === op).map((n) => types.get(n.inputs[0]!)!.dtype);
    expect(dtypeOf('LayerNormalization')).toEqual(['F32']);
    expect(dtypeOf('Gemm')).toEqual(['F16', 'F16']);
    expect(half.nodes.filter((n) => n.op === 'Mul' && n.inputs[0] === n.inputs[1]).map((n) => types.get(n.inputs[0]!)!.dtype)).toEqual(['F32']);
    expect(half.initializers.get('fc.weight')).toBeUndefined();
    expect(half.initializers.get('fc.weight.fp16')?.dtype).toBe('F16');
    const error = maxAbsError(await run(half), await run(plain));
    expect(error).toBeGreaterThan(0);
    expect(error).toBeLessThan(1e-2);
  });
});

describe('int8 pass', () => {
  it('quantises each output channel symmetrically to ±127 with scale max|w|/127, transposed to [K, N]', () => {
    const weight = { dtype: 'F32' as const, shape: [2, 3], data: new Float32Array([0.5, -1, 0.25, 0, 0, 0]) };
    const { values, scales } = quantizePerChannel(weight, true);
    expect(values.shape).toEqual([3, 2]);
    expect(Array.from(scales.data as Float32Array)).toEqual([Math.fround(1 / 127), 1]);
    expect(Array.from(values.data as Int8Array)).toEqual([64, 0, -127, 0, 32, 0]);
    const columns = quantizePerChannel({ dtype: 'F32', shape: [3, 2], data: new Float32Array([0.5, 0, -1, 0, 0.25, 0]) }, false);
    expect(Array.from(columns.values.data as Int8Array)).toEqual([64, 0, -127, 0, 32, 0]);
  });

  it('turns every constant-weight Gemm and MatMul into DynamicQuantizeMatMul, drops the float32 weights, and stays close', async () => {
    const plain = block(false);
    const quantized = quantizeInt8(plain);
    expect(quantized.nodes.filter((n) => n.op === 'Gemm' || n.op === 'MatMul')).toEqual([]);
    expect(quantized.nodes.filter((n) => n.op === 'DynamicQuantizeMatMul')).toHaveLength(2);
    expect(quantized.initializers.get('fc.weight')).toBeUndefined();
    expect(quantized.initializers.get('fc.weight.int8')?.dtype).toBe('I8');
    const [a, b] = [await run(quantized), await run(plain)];
    expect(maxAbsError(a, b)).toBeGreaterThan(0);
    expect(maxAbsError(a, b)).toBeLessThan(5e-2);
  });
});

describe('int8 pass on a tower', () => {
  it("quantises the transformer blocks' weights and keeps the patch embedding, adapters and projections float32", () => {
    const fixture = loadFixture();
    const plain = buildVisionTowerGraph(fixture.config, fixture.clip, fixture.adapters, fixture.settings);
    const graph = int8.apply(plain);
    const quantized = graph.nodes.filter((n) => n.op === 'DynamicQuantizeMatMul').map((n) => n.inputs[1]!);
    // Four linears per block up to the last tap.
    expect(quantized).toHaveLength(4 * fixture.settings.levels.at(-1)!);
    expect(quantized.every((name) => /^visual\.transformer\.resblocks\.\d+\..*\.int8$/.test(name))).toBe(true);
    const kept = graph.nodes.filter((n) => n.op === 'Gemm' || n.op === 'MatMul').map((n) => n.inputs[1]!);
    expect(kept).toContain('visual.conv1.weight');
    expect(kept.some((name) => name.startsWith('image_adapter.'))).toBe(true);
  });
});

describe('selecting passes from capabilities', () => {
  it('picks the fusions the device declares, then the precision pass', () => {
    expect(selectPasses(CPU_LIKE).map((p) => p.name)).toEqual(['fuse-attention', 'fuse-gelu']);
    expect(selectPasses(CPU_LIKE, { precision: 'int8' }).map((p) => p.name)).toEqual(['fuse-attention', 'fuse-gelu', 'int8']);
    expect(selectPasses({ ops: ['com.microsoft:MultiHeadAttention'], precisions: ['fp32'] }).map((p) => p.name)).toEqual(['fuse-attention']);
    expect(selectPasses(undefined)).toEqual([]);
  });

  it('honours the opt-out and explicit lists', () => {
    expect(selectPasses(CPU_LIKE, { rewrites: false, precision: 'fp16' }).map((p) => p.name)).toEqual(['float16']);
    expect(selectPasses(CPU_LIKE, { rewrites: ['fuse-gelu'] }).map((p) => p.name)).toEqual(['fuse-gelu']);
    expect(() => selectPasses(CPU_LIKE, { rewrites: ['fuse-layernorm' as never] })).toThrow(/unknown rewrite "fuse-layernorm" \(rewrites: fuse-attention, fuse-gelu\)/);
  });

  it('refuses a precision the device does not declare, naming the device', () => {
    const webgpu: DeviceCapabilities = { ops: [], precisions: ['fp32', 'fp16'] };
    expect(() => selectPasses(webgpu, { precision: 'int8', device: 'web/webgpu' })).toThrow(AaclipError);
    expect(() => selectPasses(webgpu, { precision: 'int8', device: 'web/webgpu' })).toThrow('precision: web/webgpu cannot run "int8" (it runs: fp32, fp16)');
    expect(() => selectPasses(undefined, { precision: 'fp16', device: 'x/y' })).toThrow(/x\/y cannot run "fp16" \(it runs: fp32\)/);
  });

  it('gives a graph to be differentiated no pass that would break autodiff, and no reduced precision', async () => {
    expect(selectPasses(CPU_LIKE, { training: true })).toEqual([]);
    expect(() => selectPasses(CPU_LIKE, { training: true, precision: 'int8' })).toThrow(/training graphs run in fp32/);
    const forward = block(false);
    const kept = applyPasses(forward, selectPasses(CPU_LIKE, { training: true }));
    const step = gradients(kept, { loss: 'loss', wrt: ['fc.weight'] });
    const weight = forward.initializers.get('fc.weight')!;
    const out = await runOnnx(onnxModelFromGraph(step.graph), { ...feeds, 'fc.weight': new ort.Tensor('float32', weight.data as Float32Array, [...weight.shape]) });
    expect(out[step.gradientOutputs.get('fc.weight')!]!.dims).toEqual(weight.shape);
    // Why: the fused ops have no gradient rule.
    expect(() => gradients(fuseGelu.apply(forward), { loss: 'loss', wrt: ['fc.weight'] })).toThrow(/Gelu/);
  });

  it('runs the fixture text tower through every pass for int8 and fp16 with valid shapes', () => {
    const fixture = loadFixture();
    for (const precision of ['fp16', 'int8'] as const) {
      const graph = buildTextTowerGraph(fixture.config, fixture.clip, fixture.adapters, fixture.settings, { passes: selectPasses(CPU_LIKE, { precision }) });
      expect(() => inferShapes(graph)).not.toThrow();
      expect(graph.nodes.some((n) => n.op === 'MultiHeadAttention')).toBe(true);
    }
    expect(fuseAttention.needsOps).toEqual(['com.microsoft:MultiHeadAttention']);
  });
});
