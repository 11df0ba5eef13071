import { AaclipError } from '../../errors/aaclipError.js';
import type { Tensor, TensorMap } from '../../tensor/tensor.js';
import type { GraphBuilder } from '../graphBuilder.js';

/**
 * The tensors a tower reads, bound to a graph: `value(key)` registers a tensor as an initializer
 * named by its state-dict key (once, however often it is used).
 */
export class TowerWeights {
  private readonly bound = new Map<string, string>();

  constructor(
    private readonly g: GraphBuilder,
    private readonly tensors: TensorMap,
    /** Names the weights in error messages (a file name or "CLIP weights"). */
    readonly source: string,
  ) {}

  tensor(key: string): Tensor {
    const t = this.tensors.get(key);
    if (!t) throw new AaclipError(`missing tensor "${key}"`, this.source);
    return t;
  }

  value(key: string): string {
    let name = this.bound.get(key);
    if (name === undefined) {
      name = this.g.initializer(this.tensor(key), key);
      this.bound.set(key, name);
    }
    return name;
  }
}
