import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { unexportedPublicReferences } from './publicTypes.js';

const CORE_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LEAKY_PACKAGE = fileURLToPath(new URL('leakyPackage', import.meta.url));

describe('public types', () => {
  it('finds a parameter type, an inferred return type, a base type and a typeof that the entry does not export', () => {
    const found = unexportedPublicReferences(LEAKY_PACKAGE).map((r) => `${r.exportedName}→${r.referencedName} (${r.declaredIn})`);
    expect(found.sort()).toEqual([
      'Child→HiddenBase (hidden.d.ts)',
      'Defaults→hiddenDefaults (hidden.d.ts)',
      'run→HiddenOptions (hidden.d.ts)',
      'run→HiddenResult (hidden.d.ts)',
    ]);
  });

  it("@aaclip/core exports every type its public declarations refer to (read from the .d.ts files it publishes)", () => {
    const missing = unexportedPublicReferences(CORE_ROOT).map((r) => `${r.exportedName} refers to ${r.referencedName} (${r.declaredIn})`);
    expect(missing).toEqual([]);
  });
});
