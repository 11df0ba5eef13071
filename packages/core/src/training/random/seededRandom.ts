// A seeded pseudo-random generator for training: xoshiro128** (Blackman & Vigna) on four 32-bit
// words, seeded from a hash of the stream's name. Every stream is named by the run's seed and the
// labels it was forked with, so a run's shuffling, augmentation and initialisation each draw from
// their own reproducible stream, whatever order the others consume numbers in.
import { AaclipError } from '../../errors/aaclipError.js';

const SOURCE = 'SeededRandom';
const TWO_POW_32 = 2 ** 32;
const TWO_POW_53 = 2 ** 53;

/** MurmurHash3's 32-bit finaliser: a bijection on uint32 in which every input bit flips about half the output bits. */
function finalMix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of `text`; different salts give (practically) independent hashes. */
function hashText(text: string, salt: number): number {
  let h = finalMix32(salt ^ text.length);
  for (let i = 0; i < text.length; i++) {
    h = finalMix32(Math.imul(h ^ text.charCodeAt(i), 0x9e3779b1) + salt);
  }
  return h;
}

function rotateLeft(value: number, bits: number): number {
  return ((value << bits) | (value >>> (32 - bits))) >>> 0;
}

/** One step of xoshiro128** on `state` (four uint32 words, not all zero): advances it, returns 32 bits. */
export function xoshiro128StarStar(state: Uint32Array): number {
  let s0 = state[0]!;
  let s1 = state[1]!;
  let s2 = state[2]!;
  let s3 = state[3]!;
  const result = Math.imul(rotateLeft(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotateLeft(s3 >>> 0, 11);
  state[0] = s0;
  state[1] = s1;
  state[2] = s2;
  state[3] = s3;
  return result;
}

export type StreamLabel = string | number;

export class SeededRandom {
  /** Seed and fork labels, e.g. `111/"shuffle"/3`: two streams with the same name draw the same numbers. */
  readonly name: string;
  private readonly words: Uint32Array;

  private constructor(name: string) {
    this.name = name;
    // 128 bits of state from four salted hashes of the name (never all zero: xoshiro's one fixed point).
    this.words = new Uint32Array([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344].map((salt) => hashText(name, salt)));
    if (this.words.every((w) => w === 0)) this.words[0] = 1;
  }

  /** The root stream of a run; `seed` is a non-negative safe integer, e.g. `TrainingSettings.seed`. */
  static fromSeed(seed: number): SeededRandom {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new AaclipError(`seed must be a non-negative integer, got ${seed}`, SOURCE);
    }
    return new SeededRandom(String(seed));
  }

  /**
   * An independent stream named by this one's name and `label` (JSON-quoted, so `fork('3')` and
   * `fork(3)` differ, as do `fork('a/b')` and `fork('a').fork('b')`). It does not depend on how
   * many numbers this stream has drawn, and drawing from it does not advance this one.
   */
  fork(label: StreamLabel): SeededRandom {
    if (typeof label === 'number' && !Number.isFinite(label)) {
      throw new AaclipError(`a stream label must be a finite number or a string, got ${label}`, SOURCE);
    }
    return new SeededRandom(`${this.name}/${JSON.stringify(label)}`);
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    return xoshiro128StarStar(this.words);
  }

  /** Uniform in [0, 1), on the grid of multiples of 2^-53 (two draws). */
  next(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 2 ** 26 + low) / TWO_POW_53;
  }

  /** Uniform in [lo, hi) (lo when they are equal), like torch's `uniform_(lo, hi)`. */
  uniform(lo: number, hi: number): number {
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) {
      throw new AaclipError(`uniform(${lo}, ${hi}) needs finite bounds with lo ≤ hi`, SOURCE);
    }
    const value = lo + (hi - lo) * this.next();
    return value < hi ? value : lo; // guards the rounding of lo + (hi − lo)·x up to hi
  }

  /** A uniform integer in 0..n−1 without modulo bias, for 1 ≤ n ≤ 2^32. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new AaclipError(`int(n) needs an integer 1 ≤ n ≤ 2^32, got ${n}`, SOURCE);
    }
    // Reject the top partial block of 32-bit values so each residue is equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const draw = this.nextUint32();
      if (draw < limit) return draw % n;
    }
  }

  /** True with probability p (p = 0 never, p = 1 always), like torch's `rand(1) < p`. */
  bernoulli(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new AaclipError(`bernoulli(p) needs 0 ≤ p ≤ 1, got ${p}`, SOURCE);
    return this.next() < p;
  }

  /** Shuffles `items` in place (Fisher–Yates, every order equally likely) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const kept = items[i]!;
      items[i] = items[j]!;
      items[j] = kept;
    }
    return items;
  }
}
