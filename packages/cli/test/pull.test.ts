import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TensorMap } from '@aaclip/core';
import { maxAbsError } from '@aaclip/core/testing';
import { aaclip } from './runCli.js';
import { fixtureFile } from '../../../test-support/fixture.js';
import { fixtureTensors, readTensorFile } from '../../../test-support/fixtureLoader.js';
import { FakeHub, useHubEnvironment } from '../../../test-support/fakeHubServer.js';
import { TINY_COMMIT, tinyModelRepo, tokenizerRepo } from '../../../test-support/fakeHubRepos.js';

// The fixture README's tolerance for a map of an image that needs no resize.
const NO_RESIZE_MAP_TOL = 1e-3;
const IMAGES = ['img0.png', 'img1.png', 'img2.png'].map((f) => fixtureFile(`images/${f}`));

let work: string;
let hub: FakeHub;
let golden: TensorMap;
let restoreHubEnvironment: () => void;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-pull-'));
  golden = fixtureTensors('golden.safetensors');
  hub = await new FakeHub({
    'aaclip-test/tiny-clip': tinyModelRepo(),
    // The preset's repos, holding the tiny model: the model repo without a tokenizer, as timm's are.
    'timm/vit_large_patch14_clip_336.openai': tinyModelRepo({ withVocab: false }),
    'openai/clip-vit-large-patch14-336': tokenizerRepo(),
  }).start();
  restoreHubEnvironment = useHubEnvironment(hub.url, work);
});

afterAll(async () => {
  restoreHubEnvironment();
  await hub.stop();
  await rm(work, { recursive: true, force: true });
});

describe('aaclip pull', () => {
  it('lists the presets and the environment in its help', async () => {
    const help = await aaclip('pull', '--help');
    expect(help.code).toBe(0);
    for (const text of ['ViT-L-14-336', 'ViT-L-14 ', 'ViT-B-16', 'timm/vit_large_patch14_clip_336.openai', 'HF_ENDPOINT', 'HF_TOKEN', 'HF_HUB_CACHE', 'HF_HUB_OFFLINE']) {
      expect(help.stdout).toContain(text);
    }
  });

  it('pulls a repo into the hub cache and prints where each file came from', async () => {
    const result = await aaclip('pull', 'aaclip-test/tiny-clip');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^aaclip-test\/tiny-clip: ready \(\d+\.\d+ MB downloaded\)/);
    expect(result.stdout).toContain(`weights   aaclip-test/tiny-clip@main (commit ${TINY_COMMIT.slice(0, 12)}) open_clip_model.safetensors  sha256 `);
    const snapshot = path.join(work, 'hub-cache', 'models--aaclip-test--tiny-clip', 'snapshots', TINY_COMMIT);
    expect((await readdir(snapshot)).sort()).toEqual(['aaclip_adapters.safetensors', 'bpe_simple_vocab_16e6.txt.gz', 'open_clip_config.json', 'open_clip_model.safetensors']);

    const again = await aaclip('pull', 'aaclip-test/tiny-clip');
    expect(again.stdout).toMatch(/^aaclip-test\/tiny-clip: ready \(already cached; nothing downloaded\)/);
  });

  it('pulls a preset, its tokenizer from the preset’s tokenizer repo (--json)', async () => {
    const result = await aaclip('pull', 'ViT-L-14-336', '--json', '--hub-cache', path.join(work, 'other-cache'));
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as { provenance: Record<string, { repo: string; file: string }>; files: { vocab: string } };
    expect(out.provenance.weights).toMatchObject({ repo: 'timm/vit_large_patch14_clip_336.openai', file: 'open_clip_model.safetensors' });
    expect(out.provenance.vocab).toMatchObject({ repo: 'openai/clip-vit-large-patch14-336', file: 'bpe_simple_vocab_16e6.txt.gz' });
    expect(out.files.vocab.startsWith(path.join(work, 'other-cache', 'models--openai--clip-vit-large-patch14-336', 'snapshots'))).toBe(true);
  });

  it('refuses what is neither a preset nor a repo id, and an uncached model offline', async () => {
    const bad = await aaclip('pull', 'not a model');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('aaclip pull: not a model: not a preset (ViT-L-14-336, ViT-L-14, ViT-B-16) or a hub repo id (org/name[@revision])');
    process.env.HF_HUB_OFFLINE = '1';
    try {
      const offline = await aaclip('pull', 'aaclip-test/never-pulled');
      expect(offline.code).toBe(1);
      expect(offline.stderr).toMatch(/^aaclip pull: aaclip-test\/never-pulled: HF_HUB_OFFLINE is set, and aaclip-test\/never-pulled is not in the hub cache/);
    } finally {
      delete process.env.HF_HUB_OFFLINE;
    }
  });

  it('says that a --model value shaped like a repo id is neither a folder nor on the hub', async () => {
    const result = await aaclip('detect', '--model', 'models/tiny', '--out', path.join(work, 'x'), IMAGES[0]!);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^aaclip detect: models\/tiny: no such folder; as a hub repo id: models\/tiny@main: not found on http:\/\/127\.0\.0\.1:\d+ \(HTTP 404\); check the repo id and the revision$/);
  });
});

describe('aaclip detect --model <repo id>', () => {
  it('runs the pulled model, offline and with the hub stopped, and matches the golden maps', async () => {
    await aaclip('pull', 'aaclip-test/tiny-clip');
    await hub.stop();
    process.env.HF_HUB_OFFLINE = '1';
    const outDir = path.join(work, 'detect-out');
    let result;
    try {
      result = await aaclip('detect', '--model', 'aaclip-test/tiny-clip', '--image-size', '48', '--class-name', 'dark bottle', '--out', outDir, ...IMAGES);
    } finally {
      delete process.env.HF_HUB_OFFLINE;
    }
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const maps = readTensorFile(path.join(outDir, 'maps.safetensors'));
    const all = golden.get('anomaly_map')!.data as Float32Array;
    // img2 needs no resize: the fused map within the fixture's map tolerance (the adapters came with the repo).
    expect(maxAbsError(maps.get(IMAGES[2]!)!.data as Float32Array, all.subarray(2 * 48 * 48, 3 * 48 * 48))).toBeLessThan(NO_RESIZE_MAP_TOL);
  });

  it('says what a --model value that is no folder, preset or repo id is', async () => {
    const result = await aaclip('detect', '--model', './no-such-folder', '--out', path.join(work, 'x'), IMAGES[0]!);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('aaclip detect: ./no-such-folder: no such folder, and not a preset (ViT-L-14-336, ViT-L-14, ViT-B-16) or a hub repo id (org/name[@revision])');
  });
});
