// A package whose entry leaks four names it does not export (publicTypes.test.ts expects them) and
// uses one it does export.
import { makeResult, hiddenDefaults, type HiddenBase, type HiddenOptions } from './hidden.js';

export interface Shown {
  readonly n: number;
}

/** Parameter type not exported; the return type (inferred) not exported either. */
export function run(options: HiddenOptions, shown: Shown) {
  return { result: makeResult(), total: options.size + shown.n };
}

/** Extends a type that is not exported. */
export interface Child extends HiddenBase {
  readonly shown: Shown;
}

/** A `typeof` a value that is not exported. */
export type Defaults = typeof hiddenDefaults;
