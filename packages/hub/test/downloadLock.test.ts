import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDownloadLock } from '../src/download/downloadLock.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-lock-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('withDownloadLock', () => {
  it('runs one holder at a time, the second after the first, and removes the lock', async () => {
    const lock = path.join(work, 'a', 'blob.aaclip-lock');
    const order: string[] = [];
    let waited = 0;
    const holder = (name: string) => async () => {
      order.push(`${name} in`);
      expect(await readFile(lock, 'utf8')).toBe(String(process.pid));
      await new Promise((r) => setTimeout(r, 50));
      order.push(`${name} out`);
    };
    await Promise.all([withDownloadLock(lock, holder('first')), withDownloadLock(lock, holder('second'), () => waited++, 10)]);
    expect(order).toEqual(['first in', 'first out', 'second in', 'second out']);
    expect(waited).toBe(1);
    await expect(readFile(lock)).rejects.toThrow(/ENOENT/);
  });

  it('takes over a lock left by a process that is gone', async () => {
    const lock = path.join(work, 'b.aaclip-lock');
    await writeFile(lock, '2147483646'); // no such process
    await expect(withDownloadLock(lock, async () => 'ran')).resolves.toBe('ran');
  });

  it('releases the lock when the work fails', async () => {
    const lock = path.join(work, 'c.aaclip-lock');
    await expect(withDownloadLock(lock, () => Promise.reject(new Error('cut')))).rejects.toThrow('cut');
    await expect(withDownloadLock(lock, async () => 'again')).resolves.toBe('again');
  });
});
