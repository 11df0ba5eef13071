// The node backend hands a model with external data to onnxruntime from memory: no temporary
// folder is made, and the session gives the same outputs as the model with inline weights.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTextModel } from '@aaclip/core';
import { maxAbsError } from '@aaclip/core/testing';
import { createNodeBackend } from '@aaclip/backend-node';
import { fixtureTensors, loadFixture } from '../../../test-support/fixtureLoader.js';


let privateTmp = '';
let savedTmpdir: string | undefined;
beforeEach(() => {
  privateTmp = mkdtempSync(path.join(os.tmpdir(), 'aaclip-staging-test-'));
  savedTmpdir = process.env.TMPDIR;
  process.env.TMPDIR = privateTmp; // os.tmpdir() reads it on every call
});
afterEach(() => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  rmSync(privateTmp, { recursive: true, force: true });
});

describe('node backend: external data from memory', () => {
  it('writes no temporary files, and the session gives the inline model’s outputs', async () => {
    const { config, settings, clip, adapters } = loadFixture();
    const external = buildTextModel(config, clip, adapters, settings, { externalDataThreshold: 256 });
    const inline = buildTextModel(config, clip, adapters, settings, { externalDataThreshold: Infinity });
    expect(external.externalData.length).toBeGreaterThan(50);
    expect(inline.externalData).toHaveLength(0);

    const backend = createNodeBackend();
    const staged = await backend.createSession(external, { device: 'cpu' });
    // (Other libraries may put their own files in the temporary folder; the backend's are aaclip-model-*.)
    expect(readdirSync(privateTmp).filter((name) => name.startsWith('aaclip-model-'))).toEqual([]);
    const reference = await backend.createSession(inline, { device: 'cpu' });
    const ids = fixtureTensors('golden.safetensors').get('prompt_tokens')!;
    const feeds = { input_ids: ids };
    const [a, b] = [await staged.run(feeds), await reference.run(feeds)];
    expect(a.text_embeds!.shape).toEqual([16, 48]);
    expect(maxAbsError(a.text_embeds!.data as Float32Array, b.text_embeds!.data as Float32Array)).toBe(0);
    await staged.dispose();
    await reference.dispose();
  });
});
