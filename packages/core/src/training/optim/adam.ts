// Adam as PyTorch's torch.optim.Adam computes it without weight decay or amsgrad, in float32 state
// with one step count per parameter. Per element, with t the parameter's step count after +1:
//   m ← lerp(m, g, 1 − β1)            (torch: exp_avg.lerp_(grad, 1 − β1), i.e. β1·m + (1 − β1)·g)
//   v ← β2·v + (1 − β2)·g·g           (exp_avg_sq.mul_(β2).addcmul_(grad, grad, value=1 − β2))
//   p ← p − (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)
// The bias corrections and step size are float64 (Python floats) and enter the float32 kernels as
// float32 scalars; each float32 operation is rounded as PyTorch's CPU kernels (_single_tensor_adam)
// round it, including lerp's two-sided formula (for weights ≥ 0.5 it computes g − (g − m)·(1 − w)).
import type { AdamSettings } from '../../config/trainingSettings.js';
import { AaclipError } from '../../errors/aaclipError.js';
import { numel, shapeToString, type Tensor, type TensorMap } from '../../tensor/tensor.js';

const f32 = Math.fround;

interface ParameterState {
  readonly values: Float32Array;
  readonly shape: readonly number[];
  /** Known from the caller (checked exactly on load) or just the length (only the count is checked). */
  readonly shapeKnown: boolean;
  expAvg: Float32Array;
  expAvgSq: Float32Array;
  step: number;
}

/** State-dict keys of one parameter's optimiser state. */
export function adamStateKeys(parameter: string): { expAvg: string; expAvgSq: string; step: string } {
  return { expAvg: `${parameter}.exp_avg`, expAvgSq: `${parameter}.exp_avg_sq`, step: `${parameter}.step` };
}

export class Adam {
  private readonly states = new Map<string, ParameterState>();

  /**
   * @param parameters trainable tensors by state-dict name; `step` updates them in place.
   * @param shapes optional shapes (e.g. [out, in]) for the saved state and the checks on load.
   */
  constructor(
    parameters: ReadonlyMap<string, Float32Array>,
    private readonly settings: AdamSettings,
    shapes?: ReadonlyMap<string, readonly number[]>,
  ) {
    for (const [name, values] of parameters) {
      if (!(values instanceof Float32Array)) throw new AaclipError(`parameter "${name}" is not a Float32Array`, 'Adam');
      const shape = shapes?.get(name);
      if (shape && numel(shape) !== values.length) {
        throw new AaclipError(`parameter "${name}" has ${values.length} values, its shape ${shapeToString(shape)} needs ${numel(shape)}`, 'Adam');
      }
      this.states.set(name, {
        values,
        shape: shape ? [...shape] : [values.length],
        shapeKnown: shape !== undefined,
        expAvg: new Float32Array(values.length),
        expAvgSq: new Float32Array(values.length),
        step: 0,
      });
    }
    for (const name of shapes?.keys() ?? []) {
      if (!parameters.has(name)) throw new AaclipError(`a shape is given for "${name}", which is not a parameter`, 'Adam');
    }
  }

  /** The parameters' names, in the order they were given. */
  get parameterNames(): string[] {
    return [...this.states.keys()];
  }

  /** How many steps `parameter` has taken. */
  stepCount(parameter: string): number {
    const state = this.states.get(parameter);
    if (!state) throw new AaclipError(`"${parameter}" is not a parameter of this optimiser`, 'Adam');
    return state.step;
  }

  /**
   * One Adam step with learning rate `lr`. `grads` must hold a finite gradient of the right length
   * for every parameter and nothing else; all are checked before any parameter changes.
   */
  step(grads: ReadonlyMap<string, Float32Array>, lr: number): void {
    const source = 'Adam.step';
    if (!Number.isFinite(lr) || lr < 0) throw new AaclipError(`learning rate must be a finite number ≥ 0, got ${lr}`, source);
    for (const name of grads.keys()) {
      if (!this.states.has(name)) throw new AaclipError(`gradient "${name}" is not for a parameter of this optimiser`, source);
    }
    for (const [name, state] of this.states) {
      const grad = grads.get(name);
      if (!grad) throw new AaclipError(`no gradient for parameter "${name}"`, source);
      if (grad.length !== state.values.length) {
        throw new AaclipError(`gradient of "${name}" has ${grad.length} values, the parameter has ${state.values.length}`, source);
      }
      const bad = grad.findIndex((g) => !Number.isFinite(g));
      if (bad >= 0) throw new AaclipError(`gradient of "${name}" is not finite (${grad[bad]} at element ${bad})`, source);
    }
    for (const [name, state] of this.states) this.update(state, grads.get(name)!, lr);
  }

  private update(state: ParameterState, grad: Float32Array, lr: number): void {
    const { beta1, beta2, eps } = this.settings;
    state.step += 1;
    const biasCorrection1 = 1 - beta1 ** state.step;
    const biasCorrection2 = 1 - beta2 ** state.step;
    // Scalars as the float32 kernels receive them.
    const weight = f32(1 - beta1);
    const weightIsSmall = Math.abs(weight) < 0.5;
    const oneMinusWeight = f32(1 - weight);
    const beta2f = f32(beta2);
    const oneMinusBeta2 = f32(1 - beta2);
    const biasCorrection2Sqrt = f32(Math.sqrt(biasCorrection2));
    const epsf = f32(eps);
    const negativeStepSize = f32(-(lr / biasCorrection1));
    const { values, expAvg, expAvgSq } = state;
    for (let k = 0; k < values.length; k++) {
      const g = grad[k]!;
      const m = expAvg[k]!;
      const newM = weightIsSmall ? f32(m + f32(weight * f32(g - m))) : f32(g - f32(f32(g - m) * oneMinusWeight));
      const newV = f32(f32(expAvgSq[k]! * beta2f) + f32(f32(oneMinusBeta2 * g) * g));
      const denom = f32(f32(f32(Math.sqrt(newV)) / biasCorrection2Sqrt) + epsf);
      expAvg[k] = newM;
      expAvgSq[k] = newV;
      values[k] = f32(values[k]! + f32(f32(negativeStepSize * newM) / denom));
    }
  }

  /** A copy of the state: `<param>.exp_avg`, `<param>.exp_avg_sq` (F32, the parameter's shape) and `<param>.step` (F32 scalar, as PyTorch keeps it). */
  state(): TensorMap {
    const out: TensorMap = new Map();
    for (const [name, state] of this.states) {
      const keys = adamStateKeys(name);
      out.set(keys.expAvg, { dtype: 'F32', shape: [...state.shape], data: state.expAvg.slice() });
      out.set(keys.expAvgSq, { dtype: 'F32', shape: [...state.shape], data: state.expAvgSq.slice() });
      out.set(keys.step, { dtype: 'F32', shape: [], data: Float32Array.of(state.step) });
    }
    return out;
  }

  /**
   * Replaces the state with `tensors` (as `state()` writes them, e.g. read back from `source`).
   * Every parameter's three entries must be there with matching shapes and nothing else; all is
   * checked before anything changes.
   */
  loadState(tensors: TensorMap, source: string): void {
    const known = new Set<string>();
    const loaded = new Map<ParameterState, { expAvg: Float32Array; expAvgSq: Float32Array; step: number }>();
    for (const [name, state] of this.states) {
      const keys = adamStateKeys(name);
      for (const key of [keys.expAvg, keys.expAvgSq, keys.step]) known.add(key);
      loaded.set(state, {
        expAvg: moment(tensors, keys.expAvg, state, source),
        expAvgSq: moment(tensors, keys.expAvgSq, state, source),
        step: stepCount(tensors, keys.step, source),
      });
    }
    for (const key of tensors.keys()) {
      if (!known.has(key)) throw new AaclipError(`optimizer state "${key}" belongs to no parameter of this optimiser`, source);
    }
    for (const [state, values] of loaded) {
      state.expAvg = values.expAvg;
      state.expAvgSq = values.expAvgSq;
      state.step = values.step;
    }
  }
}

function moment(tensors: TensorMap, key: string, state: ParameterState, source: string): Float32Array {
  const tensor = required(tensors, key, source);
  if (tensor.dtype !== 'F32' || !(tensor.data instanceof Float32Array)) {
    throw new AaclipError(`optimizer state "${key}" is ${tensor.dtype}, expected F32`, source);
  }
  const fits = state.shapeKnown
    ? shapeToString(tensor.shape) === shapeToString(state.shape)
    : numel(tensor.shape) === state.values.length && tensor.data.length === state.values.length;
  if (!fits) {
    throw new AaclipError(`optimizer state "${key}" has shape ${shapeToString(tensor.shape)}, the parameter is ${shapeToString(state.shape)}`, source);
  }
  if (tensor.data.length !== state.values.length) {
    throw new AaclipError(`optimizer state "${key}" holds ${tensor.data.length} values, its shape needs ${state.values.length}`, source);
  }
  return tensor.data.slice();
}

function stepCount(tensors: TensorMap, key: string, source: string): number {
  const tensor = required(tensors, key, source);
  if (tensor.data.length !== 1 || numel(tensor.shape) !== 1) {
    throw new AaclipError(`optimizer state "${key}" must be a single number, has shape ${shapeToString(tensor.shape)}`, source);
  }
  const isFloat = tensor.dtype === 'F32' || tensor.dtype === 'F64';
  const isInteger = tensor.dtype === 'I64' || tensor.dtype === 'I32';
  if (!isFloat && !isInteger) throw new AaclipError(`optimizer state "${key}" is ${tensor.dtype}, expected F32 or an integer`, source);
  const value = Number(tensor.data[0]!);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new AaclipError(`optimizer state "${key}" must be a whole number of steps ≥ 0, got ${value}`, source);
  }
  return value;
}

function required(tensors: TensorMap, key: string, source: string): Tensor {
  const tensor = tensors.get(key);
  if (!tensor) throw new AaclipError(`optimizer state "${key}" is missing`, source);
  return tensor;
}
