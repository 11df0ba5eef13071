import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MAX_IMAGE_SIZE } from '@aaclip/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDir } from '../../../test-support/fixture.js';
import { resolveModelFiles, resolveModelOptions } from '../src/options/modelOptions.js';

// The files are only named here, never read: resolveModelOptions checks flags, not files.
const files = { 'model-config': 'open_clip_config.json', weights: 'clip.safetensors', vocab: 'vocab.txt.gz' };

describe('resolveModelOptions --image-size', () => {
  it('refuses 100000 at once, naming --image-size and the limit', async () => {
    await expect(resolveModelOptions({ ...files, 'image-size': '100000' })).rejects.toThrow(
      new RegExp(`^--image-size: 100000 is past the limit of ${MAX_IMAGE_SIZE} pixels$`),
    );
  });

  it('passes a size within the limit on to the settings', async () => {
    const choice = await resolveModelOptions({ ...files, 'image-size': String(MAX_IMAGE_SIZE) });
    expect(choice.settings.imageSize).toBe(MAX_IMAGE_SIZE);
    await expect(resolveModelOptions({ ...files, 'image-size': 'big' })).rejects.toThrow(/^--image-size: expected a positive integer, got "big"$/);
  });
});

describe('resolveModelFiles with a --model folder', () => {
  const fixture = path.join(sharedDir, 'fixtures/tiny-aaclip');
  let dir: string;
  beforeAll(async () => {
    // A model folder without its vocabulary (kept elsewhere, as for several models sharing one).
    dir = await mkdtemp(path.join(os.tmpdir(), 'aaclip-model-folder-'));
    await copyFile(path.join(fixture, 'open_clip_config.json'), path.join(dir, 'open_clip_config.json'));
    await copyFile(path.join(fixture, 'clip.safetensors'), path.join(dir, 'open_clip_model.safetensors'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('takes a file the folder lacks from its flag', async () => {
    const vocab = path.join(sharedDir, 'clip/bpe_simple_vocab_16e6.txt.gz');
    const files = await resolveModelFiles({ model: dir, vocab });
    expect(files).toEqual({
      modelConfig: path.join(dir, 'open_clip_config.json'),
      weights: path.join(dir, 'open_clip_model.safetensors'),
      adapters: [],
      vocab,
    });
  });

  it('names the folder, what it looked for and the flag when neither has the file', async () => {
    await expect(resolveModelFiles({ model: dir })).rejects.toThrow(
      `${dir}: no vocab file (looked for bpe_simple_vocab_16e6.txt.gz, vocab.json); give --vocab`,
    );
  });
});
