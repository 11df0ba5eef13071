// Declarations a public signature of index.ts uses while index.ts does not export them.

export interface HiddenOptions {
  readonly size: number;
}

export interface HiddenResult {
  readonly ok: boolean;
}

export interface HiddenBase {
  readonly id: string;
}

export const hiddenDefaults = { size: 1 };

export function makeResult(): HiddenResult {
  return { ok: true };
}
