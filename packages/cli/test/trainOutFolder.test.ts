// `aaclip train --out` gets detect's check: a file or a folder that cannot be written is refused
// before the dataset or the model is read (the missing root below would otherwise be the error).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aaclip } from './runCli.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-train-out-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function expectOutRefused(out: string, ...mention: string[]): Promise<void> {
  const root = path.join(work, 'no-such-dataset');
  const r = await aaclip('train', '--dataset', 'mvtec', '--root', root, '--model', path.join(work, 'no-such-model'), '--out', out);
  expect(r.code).toBe(1);
  const lines = r.stderr.split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^aaclip train: --out: /);
  for (const m of mention) expect(lines[0]).toContain(m);
}

describe('aaclip train --out', () => {
  it('that is a file is refused first, naming --out, and the file is untouched', async () => {
    const file = path.join(work, 'a-file');
    await writeFile(file, 'keep me');
    await expectOutRefused(file, file, 'is a file');
    expect(await readFile(file, 'utf8')).toBe('keep me');
  });

  it.skipIf(process.platform !== 'linux' || !existsSync('/sys/kernel'))('in a folder that cannot be written is refused first, naming --out', async () => {
    await expectOutRefused('/sys/aaclip-train-out', 'cannot be created');
  });
});
