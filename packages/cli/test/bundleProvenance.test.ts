// Where a model's files came from: `aaclip info --model <repo id>` and `aaclip export --model
// <repo id>` against a loopback hub show and record each file's repo, revision, commit, URL and
// sha256, and the hashes are the files' real ones.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBundleManifest } from '@aaclip/core';
import { aaclip } from './runCli.js';
import { fixtureFile } from '../../../test-support/fixture.js';
import { FakeHub, useHubEnvironment } from '../../../test-support/fakeHubServer.js';
import { TINY_COMMIT, tinyModelRepo } from '../../../test-support/fakeHubRepos.js';

const REPO = 'aaclip-test/tiny-clip';

let work: string;
let hub: FakeHub;
let restoreHubEnvironment: () => void;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const fileSha256 = async (file: string): Promise<string> => sha256(new Uint8Array(await readFile(file)));

interface CardFile {
  role: string;
  file: string;
  sha256: string;
  ok?: boolean;
  hub?: { repo: string; revision: string; commit: string; file: string; url: string; sha256: string };
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-provenance-'));
  hub = await new FakeHub({ [REPO]: tinyModelRepo() }).start();
  restoreHubEnvironment = useHubEnvironment(hub.url, work);
});

afterAll(async () => {
  restoreHubEnvironment();
  await hub.stop();
  await rm(work, { recursive: true, force: true });
});

describe('provenance of hub models', () => {
  it("aaclip info --model <repo id> shows each file's repo, commit and URL, with its real sha256 matching the hub's", async () => {
    const result = await aaclip('info', '--model', REPO, '--json');
    expect(result.code).toBe(0);
    const card = JSON.parse(result.stdout) as { files: CardFile[]; adapters: unknown };
    expect(card.adapters).toEqual({ present: true, projections: 'linear' });
    expect(card.files.map((f) => [f.role, f.hub?.file])).toEqual([
      ['model config', 'open_clip_config.json'],
      ['weights', 'open_clip_model.safetensors'],
      ['adapters', 'aaclip_adapters.safetensors'],
      ['vocabulary', 'bpe_simple_vocab_16e6.txt.gz'],
    ]);
    for (const f of card.files) {
      expect(f.sha256).toBe(await fileSha256(f.file));
      expect(f.hub).toMatchObject({ repo: REPO, revision: 'main', commit: TINY_COMMIT, sha256: f.sha256 });
      expect(f.hub!.url).toBe(`${hub.url.replace(/\/$/, '')}/${REPO}/resolve/${TINY_COMMIT}/${f.hub!.file}`);
      expect(f.ok).toBe(true);
    }
    expect(card.files.find((f) => f.role === 'weights')!.sha256).toBe(await fileSha256(fixtureFile('clip.safetensors')));
  });

  it('aaclip export --model <repo id> records the hub provenance of every source in the manifest, shown by info', async () => {
    const out = path.join(work, 'bundle');
    const result = await aaclip('export', '--model', REPO, '--image-size', '48', '--backend', 'node', '--device', 'cpu', '--out', out);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const manifest = parseBundleManifest(new Uint8Array(await readFile(path.join(out, 'aaclip-bundle.json'))), 'manifest');
    expect(manifest.sources.map((s) => [s.role, s.hub?.repo, s.hub?.commit, s.hub?.file])).toEqual([
      ['model config', REPO, TINY_COMMIT, 'open_clip_config.json'],
      ['weights', REPO, TINY_COMMIT, 'open_clip_model.safetensors'],
      ['adapters', REPO, TINY_COMMIT, 'aaclip_adapters.safetensors'],
      ['vocabulary', REPO, TINY_COMMIT, 'bpe_simple_vocab_16e6.txt.gz'],
    ]);
    expect(manifest.sources.find((s) => s.role === 'weights')!.sha256).toBe(await fileSha256(fixtureFile('clip.safetensors')));
    const info = await aaclip('info', '--model', out);
    expect(info.code).toBe(0);
    expect(info.stdout).toContain(`weights        open_clip_model.safetensors  ${manifest.sources[1]!.size} B  sha256 ${manifest.sources[1]!.sha256}  from ${REPO}@${TINY_COMMIT} (main) `);
  });
});
