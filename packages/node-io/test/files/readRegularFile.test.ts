import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageFile } from '../../src/decodeImage.js';
import { readModelConfig, readWeightsFile, loadTokenizer } from '../../src/files/loadModelFiles.js';
import { MAX_FILE_BYTES, readRegularFile } from '../../src/files/readRegularFile.js';
import { writeFileAtomic } from '../../src/files/writeFileAtomic.js';

let dir: string;
let fifo: string | null = null;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aaclip-regular-'));
  try {
    fifo = path.join(dir, 'pipe.png');
    execFileSync('mkfifo', [fifo]);
  } catch (err) {
    console.log(`skipping the FIFO cases: mkfifo is unavailable (${(err as Error).message.split('\n')[0]})`);
    fifo = null;
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `fn`, which must reject with an error naming `file` and containing `problem`, in well under a second. */
async function expectFastRefusal(fn: () => Promise<unknown>, file: string, problem: string): Promise<void> {
  const start = performance.now();
  const err = await fn().then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(Error);
  const message = (err as Error).message;
  expect(message.split('\n')).toHaveLength(1);
  expect(message).toContain(file);
  expect(message).toContain(problem);
  expect(performance.now() - start).toBeLessThan(1000);
}

describe('readRegularFile', () => {
  it('reads a regular file whole', async () => {
    const file = path.join(dir, 'plain.bin');
    await writeFile(file, Buffer.from([1, 2, 3, 4, 5]));
    expect([...(await readRegularFile(file, 'image'))]).toEqual([1, 2, 3, 4, 5]);
  });

  it.skipIf(process.platform === 'win32')('refuses a FIFO at once instead of waiting for a writer', async () => {
    if (!fifo) return;
    await expectFastRefusal(() => readRegularFile(fifo!, 'image'), fifo, 'FIFO');
    await expectFastRefusal(() => decodeImageFile(fifo!), fifo, 'FIFO');
  });

  it.skipIf(!existsSync('/dev/zero'))('refuses /dev/zero as an image, weights, config and vocabulary, naming it', async () => {
    const before = process.memoryUsage().rss;
    await expectFastRefusal(() => decodeImageFile('/dev/zero'), '/dev/zero', 'character device');
    await expectFastRefusal(() => readWeightsFile('/dev/zero'), '/dev/zero', 'character device');
    await expectFastRefusal(() => readModelConfig('/dev/zero'), '/dev/zero', 'character device');
    await expectFastRefusal(() => loadTokenizer('/dev/zero'), '/dev/zero', 'character device');
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('refuses a folder', async () => {
    await expectFastRefusal(() => decodeImageFile(dir), dir, 'is a folder');
  });

  it('refuses a file larger than its kind allows before reading it (a sparse file: no disk used)', async () => {
    const big = path.join(dir, 'huge-config.json');
    await writeFile(big, '');
    await truncate(big, MAX_FILE_BYTES['model config'] + 1);
    const before = process.memoryUsage().rss;
    await expectFastRefusal(() => readModelConfig(big), big, `over the ${MAX_FILE_BYTES['model config']}-byte limit for model config files`);
    const image = path.join(dir, 'huge.png');
    await writeFile(image, '');
    await truncate(image, MAX_FILE_BYTES.image + 1);
    await expectFastRefusal(() => decodeImageFile(image), image, 'limit for image files');
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('names a missing file', async () => {
    const missing = path.join(dir, 'missing.png');
    await expectFastRefusal(() => decodeImageFile(missing), missing, 'no such file');
  });
});

describe('writeFileAtomic', () => {
  it('writes a file with a legal 255-byte name (the temporary name stays short) and leaves no temporary file', async () => {
    const name = `${'n'.repeat(251)}.png`;
    const sub = path.join(dir, 'long');
    await writeFileAtomic(path.join(sub, name), 'content');
    expect(await readFile(path.join(sub, name), 'utf8')).toBe('content');
    expect(await readdir(sub)).toEqual([name]);
  });

  it('keeps multi-byte names whole in the temporary name (255 bytes of 3-byte characters)', async () => {
    const name = '界'.repeat(85);
    const sub = path.join(dir, 'wide');
    await writeFileAtomic(path.join(sub, name), 'x');
    expect(await readdir(sub)).toEqual([name]);
  });
});
