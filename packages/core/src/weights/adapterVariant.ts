// The reference trains its seg/det projections in one of two forms, told apart by their state-dict
// keys: a bias-free Linear (`fc.weight`, the paper's setting, `relu=False`), or — with its `--relu`
// flag — `fc = Sequential(Linear, LeakyReLU)`, whose weight is `fc.0.weight`. The form is read from
// the keys of the adapters given; nothing else in the file differs.
import { AaclipError } from '../errors/aaclipError.js';
import type { TensorMap } from '../tensor/tensor.js';

/** What follows each seg/det projection: nothing, or a LeakyReLU (the reference's `--relu`). */
export type ProjectionActivation = 'none' | 'leaky-relu';

/** The state-dict key of the seg projection of `level` (0-based) in the given form. */
export const segProjKey = (level: number, activation: ProjectionActivation = 'none'): string =>
  `image_adapter.seg_proj.${level}.${activation === 'leaky-relu' ? 'fc.0' : 'fc'}.weight`;

/** The state-dict key of the det projection in the given form. */
export const detProjKey = (activation: ProjectionActivation = 'none'): string =>
  `image_adapter.det_proj.${activation === 'leaky-relu' ? 'fc.0' : 'fc'}.weight`;

const LINEAR_PROJECTION = /^image_adapter\.(seg_proj\.\d+|det_proj)\.fc\.weight$/;
const LEAKY_RELU_PROJECTION = /^image_adapter\.(seg_proj\.\d+|det_proj)\.fc\.0\.weight$/;

/**
 * The projection form of `adapters` (keys without a `module.` prefix), read from their keys:
 * 'leaky-relu' when the projections are stored as `fc.0.weight`, else 'none' (also when there are
 * no projections: the shape check then names what is missing). A file holding both forms is
 * refused naming one key of each.
 */
export function projectionActivation(adapters: TensorMap, source: string): ProjectionActivation {
  const keys = [...adapters.keys()];
  const linear = keys.find((k) => LINEAR_PROJECTION.test(k));
  const leaky = keys.find((k) => LEAKY_RELU_PROJECTION.test(k));
  if (linear !== undefined && leaky !== undefined) {
    throw new AaclipError(
      `mixes the two projection forms: "${linear}" (plain Linear) and "${leaky}" (Linear + LeakyReLU, the reference's --relu); use adapters of one training run`,
      source,
    );
  }
  return leaky !== undefined ? 'leaky-relu' : 'none';
}
