import { describe, expect, it } from 'vitest';
import { deriveSeed, SeededRandom } from '../src/index.js';

describe('seeded random numbers', () => {
  it('repeats for a seed and differs between seeds', () => {
    const a = Array.from({ length: 50 }, ((r) => () => r.nextUint32())(new SeededRandom(42)));
    const b = Array.from({ length: 50 }, ((r) => () => r.nextUint32())(new SeededRandom(42)));
    const c = Array.from({ length: 50 }, ((r) => () => r.nextUint32())(new SeededRandom(43)));
    expect(a).toEqual(b);
    expect(a.filter((x, i) => x === c[i]).length).toBeLessThan(2);
    expect(a.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)).toBe(true);
  });

  it('spreads floats evenly over [0, 1)', () => {
    const r = new SeededRandom(7);
    const bins = new Array<number>(10).fill(0);
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
      bins[Math.floor(x * 10)]!++;
    }
    // Chi-square with 9 degrees of freedom; 27.9 is its 0.999 quantile.
    const chi = bins.reduce((sum, count) => sum + (count - n / 10) ** 2 / (n / 10), 0);
    expect(chi).toBeLessThan(27.9);
  });

  it('shuffles into a permutation, and derives distinct seeds from distinct parts', () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const shuffled = new SeededRandom(1).shuffled(items);
    expect([...shuffled].sort((x, y) => x - y)).toEqual(items);
    expect(shuffled).not.toEqual(items);
    expect(deriveSeed(1, 'a', 2)).toBe(deriveSeed(1, 'a', 2));
    const seeds = new Set([deriveSeed(1, 'a', 2), deriveSeed(1, 'a', 3), deriveSeed(1, 'b', 2), deriveSeed(2, 'a', 2), deriveSeed('1a', 2)]);
    expect(seeds.size).toBe(5);
  });
});
