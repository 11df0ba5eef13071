import { describe, expect, it } from 'vitest';
import { SeededRandom, xoshiro128StarStar } from '../../../src/training/random/seededRandom.js';
import { AaclipError } from '../../../src/errors/aaclipError.js';

const draws = (rng: SeededRandom, n: number): number[] => Array.from({ length: n }, () => rng.next());

describe('xoshiro128**', () => {
  it('gives the reference implementation’s first outputs from the state {1, 2, 3, 4}', () => {
    const state = new Uint32Array([1, 2, 3, 4]);
    const out = Array.from({ length: 6 }, () => xoshiro128StarStar(state));
    expect(out).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });
});

describe('SeededRandom', () => {
  it('repeats a stream from the same seed and differs between seeds', () => {
    expect(draws(SeededRandom.fromSeed(111), 20)).toEqual(draws(SeededRandom.fromSeed(111), 20));
    expect(draws(SeededRandom.fromSeed(111), 20)).not.toEqual(draws(SeededRandom.fromSeed(112), 20));
  });

  it('forks streams that depend on the label only, not on what the parent drew', () => {
    const a = SeededRandom.fromSeed(7);
    const b = SeededRandom.fromSeed(7);
    draws(b, 5);
    expect(draws(a.fork('shuffle'), 10)).toEqual(draws(b.fork('shuffle'), 10));
    expect(draws(a.fork('shuffle'), 10)).not.toEqual(draws(a.fork('augment'), 10));
    expect(draws(a.fork(3), 10)).not.toEqual(draws(a.fork('3'), 10));
    expect(draws(a.fork('a/b'), 10)).not.toEqual(draws(a.fork('a').fork('b'), 10));
    expect(draws(a.fork(0), 10)).not.toEqual(draws(a, 10));
    expect(a.fork('x').fork(2).name).toBe('7/"x"/2');
  });

  it('draws next() in [0, 1) with a plausible mean and spread', () => {
    const values = draws(SeededRandom.fromSeed(1), 20000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.003);
  });

  it('draws uniform(lo, hi) in [lo, hi) and lo when they are equal', () => {
    const rng = SeededRandom.fromSeed(2);
    for (let i = 0; i < 1000; i++) {
      const v = rng.uniform(-30, 30);
      expect(v).toBeGreaterThanOrEqual(-30);
      expect(v).toBeLessThan(30);
    }
    expect(rng.uniform(4, 4)).toBe(4);
  });

  it('draws every int(n) value about equally often', () => {
    const rng = SeededRandom.fromSeed(3);
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 60000; i++) counts[rng.int(6)]! += 1;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(400);
    expect(rng.int(1)).toBe(0);
  });

  it('bernoulli(0) is never true, bernoulli(1) always, bernoulli(0.7) about 70 %', () => {
    const rng = SeededRandom.fromSeed(4);
    let hits = 0;
    for (let i = 0; i < 10000; i++) {
      expect(rng.bernoulli(0)).toBe(false);
      expect(rng.bernoulli(1)).toBe(true);
      if (rng.bernoulli(0.7)) hits++;
    }
    expect(Math.abs(hits - 7000)).toBeLessThan(200);
  });

  it('shuffles in place into a permutation, reproducibly, with every position reachable', () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    const shuffled = SeededRandom.fromSeed(5).shuffle(items);
    expect(shuffled).toBe(items);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(SeededRandom.fromSeed(5).shuffle(Array.from({ length: 10 }, (_, i) => i))).toEqual(shuffled);
    // Each of 3 items lands in each position about a third of the time.
    const rng = SeededRandom.fromSeed(6);
    const firstCounts = [0, 0, 0];
    for (let i = 0; i < 30000; i++) firstCounts[rng.shuffle([0, 1, 2])[0]!]! += 1;
    for (const c of firstCounts) expect(Math.abs(c - 10000)).toBeLessThan(400);
  });

  it('rejects bad arguments with an AaclipError naming SeededRandom', () => {
    const rng = SeededRandom.fromSeed(0);
    expect(() => SeededRandom.fromSeed(-1)).toThrow(AaclipError);
    expect(() => SeededRandom.fromSeed(1.5)).toThrow(/SeededRandom: seed/);
    expect(() => rng.uniform(2, 1)).toThrow(AaclipError);
    expect(() => rng.uniform(0, Number.POSITIVE_INFINITY)).toThrow(AaclipError);
    expect(() => rng.int(0)).toThrow(AaclipError);
    expect(() => rng.int(2.5)).toThrow(AaclipError);
    expect(() => rng.bernoulli(1.5)).toThrow(AaclipError);
    expect(() => rng.bernoulli(Number.NaN)).toThrow(AaclipError);
    expect(() => rng.fork(Number.NaN)).toThrow(AaclipError);
  });
});
