// '@aaclip/node-io' has no side effect: importing it registers no backend and loads no
// onnxruntime-node (this file runs in its own forked process), and nodeFileIo is core's FileIo on
// Node's file system.
import { createRequire } from 'node:module';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBackends, type FileIo } from '@aaclip/core';

const require = createRequire(import.meta.url);
let dir: string;
let io: FileIo;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aaclip-node-io-'));
  ({ nodeFileIo: io } = await import('@aaclip/node-io'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('@aaclip/node-io', () => {
  it('registers no backend and loads no onnxruntime-node', () => {
    expect(listBackends()).toEqual([]);
    expect(Object.keys(require.cache).filter((file) => /onnxruntime/i.test(file))).toEqual([]);
  });

  it('writes atomically (parents created, no temporary file left) and reads back the bytes', async () => {
    const file = path.join(dir, 'a', 'b', 'note.txt');
    await io.writeFileAtomic(file, 'first');
    await io.writeFileAtomic(file, new TextEncoder().encode('second ✓'));
    expect(await readFile(file, 'utf8')).toBe('second ✓');
    expect(new TextDecoder().decode(await io.readFile(file))).toBe('second ✓');
  });

  it('decodes an image and refuses a folder and a missing file, naming them', async () => {
    const file = path.join(dir, 'pixel.png');
    const rgb = Uint8Array.from([10, 20, 30, 40, 50, 60]);
    await sharp(rgb, { raw: { width: 2, height: 1, channels: 3 } }).png().toFile(file);
    const image = await io.decodeImage(file);
    expect({ width: image.width, height: image.height, channels: image.channels, bitDepth: image.bitDepth }).toEqual({ width: 2, height: 1, channels: 3, bitDepth: 8 });
    expect([...image.data]).toEqual([...rgb]);
    await expect(io.readFile(dir)).rejects.toThrow(`${dir}: is a folder, not a file`);
    await expect(io.decodeImage(path.join(dir, 'missing.png'))).rejects.toThrow(`${path.join(dir, 'missing.png')}: no such file`);
  });
});
