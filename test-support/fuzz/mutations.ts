// fast-check arbitraries for hostile files: random bytes, and a valid file changed a few times over
// (bits flipped, cut short, bytes inserted, removed or copied elsewhere, a field overwritten with an
// extreme value). Positions are drawn as plain naturals and taken modulo the length when applied,
// so a failing case shrinks towards few, early, small changes.
import fc from 'fast-check';

/** Values a length, count, offset or size field is most likely to mishandle. */
export const EXTREME_VALUES: readonly bigint[] = [
  0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x100n, 0x7fffn, 0x8000n, 0xffffn, 0x10000n, 0x7fffffffn, 0x80000000n,
  0xfffffffen, 0xffffffffn, 0x100000000n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n,
];

export type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly mask: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'remove'; readonly at: number; readonly length: number }
  | { readonly kind: 'copy'; readonly from: number; readonly to: number; readonly length: number }
  | { readonly kind: 'field'; readonly at: number; readonly width: 1 | 2 | 4 | 8; readonly value: bigint };

/**
 * A position: fast-check leans towards small numbers, which would put nearly every change in a
 * file's first bytes, so half the positions are drawn without that bias.
 */
const position: fc.Arbitrary<number> = fc.oneof(fc.nat({ max: 64 }), fc.noBias(fc.nat()));

/**
 * A field overwrite: `width` little-endian bytes of an extreme (or random) value, at one of
 * `fieldOffsets` (the format's header fields) when given, else anywhere.
 */
function fieldMutation(fieldOffsets: readonly number[]): fc.Arbitrary<Mutation> {
  const at = fieldOffsets.length > 0 ? fc.oneof(fc.constantFrom(...fieldOffsets), position) : position;
  return fc.record({
    kind: fc.constant('field' as const),
    at,
    width: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const),
    value: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...EXTREME_VALUES) }, { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
  });
}

export function mutationArbitrary(fieldOffsets: readonly number[] = []): fc.Arbitrary<Mutation> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: position, mask: fc.integer({ min: 1, max: 255 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: position }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), at: position, length: fc.integer({ min: 1, max: 32 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('copy' as const), from: position, to: position, length: fc.integer({ min: 1, max: 64 }) }) },
    { weight: 4, arbitrary: fieldMutation(fieldOffsets) },
  );
}

/** A copy (a Buffer's slice() would be a view, and mutating it would change the base file). */
const copyOf = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);

/** `bytes` after one mutation (a new array; the input is never changed, even if it is a Buffer). */
export function applyMutation(bytes: Uint8Array, m: Mutation): Uint8Array {
  const n = bytes.length;
  const where = (at: number, extra = 0): number => (n + extra === 0 ? 0 : at % (n + extra));
  switch (m.kind) {
    case 'flip': {
      if (n === 0) return copyOf(bytes);
      const out = copyOf(bytes);
      const at = where(m.at);
      out[at] = out[at]! ^ m.mask;
      return out;
    }
    case 'truncate':
      return copyOf(bytes.subarray(0, where(m.at)));
    case 'insert': {
      const at = where(m.at, 1);
      return concat(bytes.subarray(0, at), m.bytes, bytes.subarray(at));
    }
    case 'remove': {
      const at = where(m.at);
      return concat(bytes.subarray(0, at), bytes.subarray(at + m.length));
    }
    case 'copy': {
      if (n === 0) return copyOf(bytes);
      const out = copyOf(bytes);
      const from = where(m.from);
      out.set(bytes.subarray(from, Math.min(n, from + m.length)).subarray(0, n - where(m.to)), where(m.to));
      return out;
    }
    case 'field': {
      const out = copyOf(bytes);
      const at = where(m.at);
      for (let i = 0; i < m.width && at + i < n; i++) out[at + i] = Number((m.value >> BigInt(8 * i)) & 0xffn);
      return out;
    }
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `base` changed by one to `maxMutations` mutations. */
export function mutatedBytes(base: Uint8Array, options: { fieldOffsets?: readonly number[]; maxMutations?: number } = {}): fc.Arbitrary<Uint8Array> {
  return fc
    .array(mutationArbitrary(options.fieldOffsets ?? []), { minLength: 1, maxLength: options.maxMutations ?? 4 })
    .map((mutations) => mutations.reduce(applyMutation, base));
}

/** Random bytes, optionally after a fixed prefix (a magic number, so the reader gets past its first check). */
export function randomBytes(prefix: Uint8Array = new Uint8Array(0), maxLength = 512): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ maxLength }).map((tail) => concat(prefix, tail));
}
