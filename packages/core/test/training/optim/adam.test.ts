import { describe, expect, it } from 'vitest';
import { AdamSettings } from '../../../src/config/trainingSettings.js';
import { AaclipError } from '../../../src/errors/aaclipError.js';
import type { Tensor, TensorMap } from '../../../src/tensor/tensor.js';
import { Adam } from '../../../src/training/optim/adam.js';

const SETTINGS = AdamSettings.parse({}); // β1 0.5, β2 0.999, eps 1e-8: the reference's
const TOLERANCE = 1e-7;
const NAME = 'text_adapter.0.fc.0.weight';

const P0 = [0.5, -0.25, 0.125];
const G1 = [0.2, -0.03, 1e-9]; // the last is below eps: its first step is lr·g/(|g| + eps) = lr/11
const G2 = [-0.1, 0.05, 0.3];
const LR = 0.01;

/** Two Adam steps in float64, written out from the algorithm's definition. */
function expectedTwoSteps(): { afterOne: number[]; afterTwo: number[] } {
  const { beta1: b1, beta2: b2, eps } = SETTINGS;
  const afterOne: number[] = [];
  const afterTwo: number[] = [];
  for (let k = 0; k < 3; k++) {
    const m1 = (1 - b1) * G1[k]!;
    const v1 = (1 - b2) * G1[k]! ** 2;
    const p1 = P0[k]! - (LR / (1 - b1)) * (m1 / (Math.sqrt(v1) / Math.sqrt(1 - b2) + eps));
    const m2 = b1 * m1 + (1 - b1) * G2[k]!;
    const v2 = b2 * v1 + (1 - b2) * G2[k]! ** 2;
    const p2 = p1 - (LR / (1 - b1 ** 2)) * (m2 / (Math.sqrt(v2) / Math.sqrt(1 - b2 ** 2) + eps));
    afterOne.push(p1);
    afterTwo.push(p2);
  }
  return { afterOne, afterTwo };
}

const grads = (values: number[], name = NAME) => new Map([[name, Float32Array.from(values)]]);

function closeTo(actual: Float32Array, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, k) => expect(Math.abs(v - expected[k]!)).toBeLessThan(TOLERANCE));
}

describe('Adam (torch.optim.Adam, no weight decay)', () => {
  it('first step moves each value by −lr·g/(|g| + eps)', () => {
    const p = Float32Array.from(P0);
    new Adam(new Map([[NAME, p]]), SETTINGS).step(grads(G1), LR);
    closeTo(p, P0.map((v, k) => v - (LR * G1[k]!) / (Math.abs(G1[k]!) + SETTINGS.eps)));
    expect(Math.abs(p[2]! - (P0[2]! - LR / 11))).toBeLessThan(TOLERANCE);
  });

  it('matches two steps derived by hand in float64', () => {
    const p = Float32Array.from(P0);
    const adam = new Adam(new Map([[NAME, p]]), SETTINGS);
    const { afterOne, afterTwo } = expectedTwoSteps();
    adam.step(grads(G1), LR);
    closeTo(p, afterOne);
    adam.step(grads(G2), LR);
    closeTo(p, afterTwo);
    expect(adam.stepCount(NAME)).toBe(2);
    // The moments after two steps, too.
    const state = adam.state();
    const m2 = G1.map((g, k) => SETTINGS.beta1 * (1 - SETTINGS.beta1) * g + (1 - SETTINGS.beta1) * G2[k]!);
    closeTo(state.get(`${NAME}.exp_avg`)!.data as Float32Array, m2);
  });

  it('keeps separate step counts and moments per parameter, updating in place', () => {
    const a = Float32Array.from([1, 2]);
    const b = Float32Array.from([3]);
    const adam = new Adam(new Map([['a', a], ['b', b]]), SETTINGS);
    adam.step(new Map([['a', Float32Array.from([1, -1])], ['b', Float32Array.from([2])]]), 0.1);
    closeTo(a, [0.9, 2.1]);
    closeTo(b, [2.9]);
    expect(adam.parameterNames).toEqual(['a', 'b']);
  });

  it('round-trips its state: a restored optimiser continues exactly like the original', () => {
    const shapes = new Map([[NAME, [1, 3]]]);
    const original = Float32Array.from(P0);
    const adam = new Adam(new Map([[NAME, original]]), SETTINGS, shapes);
    adam.step(grads(G1), LR);
    const saved: TensorMap = adam.state();
    expect([...saved.keys()]).toEqual([`${NAME}.exp_avg`, `${NAME}.exp_avg_sq`, `${NAME}.step`]);
    expect(saved.get(`${NAME}.exp_avg`)).toMatchObject({ dtype: 'F32', shape: [1, 3] });
    expect(saved.get(`${NAME}.step`)).toMatchObject({ dtype: 'F32', shape: [] });
    expect(Array.from(saved.get(`${NAME}.step`)!.data as Float32Array)).toEqual([1]);

    const restored = original.slice();
    const again = new Adam(new Map([[NAME, restored]]), SETTINGS, shapes);
    again.loadState(saved, 'opt.safetensors');
    adam.step(grads(G2), LR);
    again.step(grads(G2), LR);
    expect(restored).toEqual(original);
    closeTo(restored, expectedTwoSteps().afterTwo);
    // The saved copy does not alias the live state.
    expect(Array.from(saved.get(`${NAME}.step`)!.data as Float32Array)).toEqual([1]);
  });

  describe('errors name the tensor', () => {
    const make = () => {
      const p = Float32Array.from(P0);
      return { p, adam: new Adam(new Map([[NAME, p]]), SETTINGS, new Map([[NAME, [3]]])) };
    };

    it('rejects missing, unknown, mis-sized and non-finite gradients without touching anything', () => {
      const { p, adam } = make();
      expect(() => adam.step(new Map(), LR)).toThrow(`Adam.step: no gradient for parameter "${NAME}"`);
      expect(() => adam.step(new Map([...grads(G1), ...grads(G1, 'other')]), LR)).toThrow(/"other" is not for a parameter/);
      expect(() => adam.step(grads([1, 2]), LR)).toThrow(new RegExp(`gradient of "${NAME}" has 2 values, the parameter has 3`));
      expect(() => adam.step(grads([1, Number.NaN, 2]), LR)).toThrow(new RegExp(`gradient of "${NAME}" is not finite \\(NaN at element 1\\)`));
      expect(() => adam.step(grads([1, Number.POSITIVE_INFINITY, 2]), LR)).toThrow(AaclipError);
      expect(() => adam.step(grads(G1), Number.NaN)).toThrow(/learning rate/);
      expect(Array.from(p)).toEqual(Array.from(Float32Array.from(P0)));
      expect(adam.stepCount(NAME)).toBe(0);
    });

    it('rejects state with a missing entry, a wrong shape or dtype, a bad step or an extra tensor, and keeps its own', () => {
      const { adam } = make();
      adam.step(grads(G1), LR);
      const good = adam.state();
      const edited = (key: string, tensor: Tensor | null): TensorMap => {
        const copy = new Map(good);
        if (tensor === null) copy.delete(key);
        else copy.set(key, tensor);
        return copy;
      };
      const load = (tensors: TensorMap) => () => adam.loadState(tensors, 'opt.safetensors');
      expect(load(edited(`${NAME}.exp_avg_sq`, null))).toThrow(`opt.safetensors: optimizer state "${NAME}.exp_avg_sq" is missing`);
      expect(load(edited(`${NAME}.exp_avg`, { dtype: 'F32', shape: [1, 3], data: new Float32Array(3) }))).toThrow(
        new RegExp(`"${NAME}.exp_avg" has shape \\[1, 3\\], the parameter is \\[3\\]`),
      );
      expect(load(edited(`${NAME}.exp_avg`, { dtype: 'F64', shape: [3], data: new Float64Array(3) }))).toThrow(/is F64, expected F32/);
      expect(load(edited(`${NAME}.step`, { dtype: 'F32', shape: [], data: Float32Array.of(1.5) }))).toThrow(/whole number of steps/);
      expect(load(edited(`${NAME}.step`, { dtype: 'F32', shape: [2], data: new Float32Array(2) }))).toThrow(/single number/);
      expect(load(edited('stray.exp_avg', { dtype: 'F32', shape: [3], data: new Float32Array(3) }))).toThrow(
        /"stray.exp_avg" belongs to no parameter/,
      );
      expect(adam.stepCount(NAME)).toBe(1);
      expect(adam.state().get(`${NAME}.exp_avg`)!.data).toEqual(good.get(`${NAME}.exp_avg`)!.data);
      // A PyTorch-style integer step is accepted.
      adam.loadState(edited(`${NAME}.step`, { dtype: 'I64', shape: [], data: BigInt64Array.of(7n) }), 'opt.safetensors');
      expect(adam.stepCount(NAME)).toBe(7);
    });

    it('rejects parameters whose shape does not match their length', () => {
      expect(() => new Adam(new Map([[NAME, new Float32Array(3)]]), SETTINGS, new Map([[NAME, [2, 2]]]))).toThrow(
        new RegExp(`parameter "${NAME}" has 3 values, its shape \\[2, 2\\] needs 4`),
      );
    });
  });
});
