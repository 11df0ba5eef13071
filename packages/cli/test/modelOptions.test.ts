import { MAX_IMAGE_SIZE } from '@aaclip/core';
import { describe, expect, it } from 'vitest';
import { resolveModelOptions } from '../src/options/modelOptions.js';

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
