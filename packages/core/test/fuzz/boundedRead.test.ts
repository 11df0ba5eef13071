// The fuzz harness itself: each way a reader can misbehave must fail the case.
import { describe, expect, it } from 'vitest';
import { boundedRead, boundedReadAsync } from '../../../../test-support/fuzz/boundedRead.js';
import { applyMutation } from '../../../../test-support/fuzz/mutations.js';
import { AaclipError } from '../../src/errors/aaclipError.js';

describe('the fuzz harness', () => {
  it('passes a value and a one-line AaclipError through', async () => {
    expect(boundedRead(() => 42)).toEqual({ ok: true, value: 42 });
    const refused = boundedRead(() => {
      throw new AaclipError('bad\nfield', 'a\rfile');
    });
    expect(refused.ok).toBe(false);
    expect(await boundedReadAsync(async () => 'read')).toEqual({ ok: true, value: 'read' });
  });

  it('fails on another exception type, sync or async', async () => {
    expect(() => boundedRead(() => JSON.parse('{'))).toThrow(/other than an AaclipError: SyntaxError/);
    await expect(boundedReadAsync(async () => new Uint8Array(-1))).rejects.toThrow(/other than an AaclipError: RangeError/);
  });

  it('interrupts an endless synchronous loop and fails a promise that never settles', async () => {
    let spins = 0;
    expect(() =>
      boundedRead(() => {
        for (;;) spins++;
      }, { caseMs: 200 }),
    ).toThrow(/interrupted \(a hang\)/);
    expect(spins).toBeGreaterThan(0);
    await expect(boundedReadAsync(() => new Promise<never>(() => undefined), { caseMs: 200 })).rejects.toThrow(/still pending after 200 ms/);
  });

  it('fails a case that is slow or ends holding too much memory', async () => {
    expect(() =>
      boundedRead(() => {
        const until = performance.now() + 150;
        while (performance.now() < until);
      }, { caseMs: 100 }),
    ).toThrow(/interrupted|took \d+ ms/);
    expect(() => boundedRead(() => new Uint8Array(48 * 1024 * 1024).fill(1), { heapBytes: 32 * 1024 * 1024 })).toThrow(/grew heap \+ array buffers by 4\d MiB/);
  });

  it('applies mutations without changing the input', () => {
    const base = new Uint8Array([1, 2, 3, 4]);
    expect([...applyMutation(base, { kind: 'flip', at: 5, mask: 0xff })]).toEqual([1, 253, 3, 4]);
    expect([...applyMutation(base, { kind: 'truncate', at: 2 })]).toEqual([1, 2]);
    expect([...applyMutation(base, { kind: 'insert', at: 4, bytes: new Uint8Array([9]) })]).toEqual([1, 2, 3, 4, 9]);
    expect([...applyMutation(base, { kind: 'remove', at: 1, length: 2 })]).toEqual([1, 4]);
    expect([...applyMutation(base, { kind: 'copy', from: 0, to: 2, length: 3 })]).toEqual([1, 2, 1, 2]);
    expect([...applyMutation(base, { kind: 'field', at: 1, width: 2, value: 0xfffen })]).toEqual([1, 0xfe, 0xff, 4]);
    expect([...base]).toEqual([1, 2, 3, 4]);
    const buffer = Buffer.from([1, 2, 3, 4]);
    for (const kind of ['flip', 'copy', 'field'] as const) {
      applyMutation(buffer, { kind, at: 0, from: 1, to: 0, length: 2, mask: 1, width: 1, value: 9n });
    }
    expect([...buffer]).toEqual([1, 2, 3, 4]);
  });
});
