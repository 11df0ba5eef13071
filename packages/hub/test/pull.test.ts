import { lstat, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveHubModel, type ResolveHubModelOptions, type TransferEvent } from '../src/index.js';
import { FakeHub, gitBlobId, sha256Hex } from '../../../test-support/fakeHubServer.js';
import { TINY_COMMIT, TINY_COMMIT_V1, TOKENIZER_COMMIT, tinyModelFiles, tinyModelRepo, tokenizerRepo } from '../../../test-support/fakeHubRepos.js';

const REPO = 'aaclip-test/tiny-clip';
const WEIGHTS = 'open_clip_model.safetensors';
// The download tests never load the model: 2 MB of patterned bytes stand in for the 16 MB weights.
const WEIGHT_BYTES = Buffer.from(Uint8Array.from({ length: 2_000_000 }, (_, i) => (i * 2654435761) >>> 24));
const FILES = Object.fromEntries(tinyModelFiles({ weights: WEIGHT_BYTES }).map((f) => [f.path, f.bytes]));

let work: string;
let hub: FakeHub;
let cacheDir: string;
let events: TransferEvent[];
let notices: string[];

function options(extra: NodeJS.ProcessEnv = {}): ResolveHubModelOptions {
  return {
    env: { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cacheDir, HF_HOME: path.join(work, 'hf-home'), ...extra },
    retry: { firstDelayMs: 5, stallTimeoutMs: 5000 },
    onProgress: (e) => events.push(e),
    onNotice: (line) => notices.push(line),
  };
}

/** Every path under `dir`, relative, sorted. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.map(String).sort();
}

const repoDir = () => path.join(cacheDir, 'models--aaclip-test--tiny-clip');

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-hub-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
beforeEach(async () => {
  hub = await new FakeHub({
    [REPO]: tinyModelRepo({ weights: WEIGHT_BYTES }),
    'aaclip-test/no-vocab': tinyModelRepo({ withVocab: false, weights: WEIGHT_BYTES }),
    'aaclip-test/gated': tinyModelRepo({ token: 'hf_secret', weights: WEIGHT_BYTES }),
    'openai/clip-vit-large-patch14': tokenizerRepo(),
  }).start();
  cacheDir = await mkdtemp(path.join(work, 'cache-'));
  events = [];
  notices = [];
});
afterEach(async () => {
  await hub.stop();
});

describe('a clean pull', () => {
  it('stores the chosen files in the hub cache layout and returns them with their provenance', async () => {
    const model = await resolveHubModel(REPO, options());
    const snapshot = path.join(repoDir(), 'snapshots', TINY_COMMIT);
    expect(model.files).toEqual({
      modelConfig: path.join(snapshot, 'open_clip_config.json'),
      weights: path.join(snapshot, WEIGHTS),
      adapters: [path.join(snapshot, 'aaclip_adapters.safetensors')],
      vocab: path.join(snapshot, 'bpe_simple_vocab_16e6.txt.gz'),
    });
    // Only the model's files: not the .bin the safetensors replaces, not README, timm's config.json or nested files.
    expect(await tree(snapshot)).toEqual(['aaclip_adapters.safetensors', 'bpe_simple_vocab_16e6.txt.gz', 'open_clip_config.json', WEIGHTS]);
    // Blobs named by sha256 (LFS) or git blob id (files in git), snapshot entries relative links to them.
    const lfsBlob = sha256Hex(FILES[WEIGHTS]!);
    const gitBlob = gitBlobId(FILES['open_clip_config.json']!);
    expect(await tree(path.join(repoDir(), 'blobs'))).toEqual(
      [lfsBlob, gitBlob, sha256Hex(FILES['aaclip_adapters.safetensors']!), sha256Hex(FILES['bpe_simple_vocab_16e6.txt.gz']!)].sort(),
    );
    expect(await readlink(path.join(snapshot, WEIGHTS))).toBe(`../../blobs/${lfsBlob}`);
    expect(await readlink(path.join(snapshot, 'open_clip_config.json'))).toBe(`../../blobs/${gitBlob}`);
    expect(Buffer.compare(await readFile(model.files.weights), FILES[WEIGHTS]!)).toBe(0);
    expect(await readFile(path.join(repoDir(), 'refs', 'main'), 'utf8')).toBe(TINY_COMMIT);

    expect(model.provenance.weights).toEqual({
      repo: REPO,
      revision: 'main',
      commit: TINY_COMMIT,
      file: WEIGHTS,
      url: `${hub.url}/${REPO}/resolve/${TINY_COMMIT}/${WEIGHTS}`,
      sha256: lfsBlob,
      size: FILES[WEIGHTS]!.byteLength,
    });
    expect(model.provenance.config.sha256).toBe(sha256Hex(FILES['open_clip_config.json']!));
    expect(model.provenance.adapters?.file).toBe('aaclip_adapters.safetensors');
    expect(model.fromCache).toBe(false);
    expect(model.transferredBytes).toBe(Object.values(model.provenance).reduce((n, p) => n + p.size, 0));
    expect(events.filter((e) => e.kind === 'done').map((e) => e.file).sort()).toEqual(['aaclip_adapters.safetensors', 'bpe_simple_vocab_16e6.txt.gz', 'open_clip_config.json', WEIGHTS]);
  });

  it('follows a paged tree listing', async () => {
    hub.treePageSize = 2;
    const model = await resolveHubModel(REPO, options());
    expect(hub.requests.filter((r) => r.url.includes('/tree/')).length).toBeGreaterThan(3);
    expect(model.provenance.vocab.file).toBe('bpe_simple_vocab_16e6.txt.gz');
  });

  it('pulls a tag into refs/<tag> and its own snapshot', async () => {
    const model = await resolveHubModel(`${REPO}@v1`, options());
    expect(model.provenance.config.commit).toBe(TINY_COMMIT_V1);
    expect(model.files.adapters).toEqual([]);
    expect(await readFile(path.join(repoDir(), 'refs', 'v1'), 'utf8')).toBe(TINY_COMMIT_V1);
  });

  it('takes the tokenizer from OpenAI’s tokenizer repo when the model repo has none', async () => {
    const model = await resolveHubModel('aaclip-test/no-vocab', options());
    expect(model.provenance.vocab).toMatchObject({ repo: 'openai/clip-vit-large-patch14', commit: TOKENIZER_COMMIT, file: 'bpe_simple_vocab_16e6.txt.gz' });
    expect(model.files.vocab).toBe(path.join(cacheDir, 'models--openai--clip-vit-large-patch14', 'snapshots', TOKENIZER_COMMIT, 'bpe_simple_vocab_16e6.txt.gz'));
  });
});

describe('cut and corrupted transfers', () => {
  it('resumes a transfer cut half-way with a Range request', async () => {
    hub.cutOnce.add(WEIGHTS);
    const model = await resolveHubModel(REPO, options());
    const sha = sha256Hex(FILES[WEIGHTS]!);
    const cdn = hub.requests.filter((r) => r.server === 'cdn' && r.url.endsWith(sha));
    expect(cdn).toHaveLength(2);
    expect(cdn[0]!.range).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(cdn[1]!.range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThan(FILES[WEIGHTS]!.byteLength);
    expect(events).toContainEqual(expect.objectContaining({ kind: 'retry', file: WEIGHTS }));
    expect(events).toContainEqual({ kind: 'start', file: WEIGHTS, total: FILES[WEIGHTS]!.byteLength, resumedFrom: resumedAt });
    expect(Buffer.compare(await readFile(model.files.weights), FILES[WEIGHTS]!)).toBe(0);
    expect((await tree(path.join(repoDir(), 'blobs'))).filter((f) => f.endsWith('.incomplete'))).toEqual([]);
  });

  it('cuts a stalled transfer and resumes it', async () => {
    hub.stallOnce.add(WEIGHTS);
    const model = await resolveHubModel(REPO, { ...options(), retry: { firstDelayMs: 5, stallTimeoutMs: 500 } });
    expect(events.find((e) => e.kind === 'retry')).toMatchObject({ file: WEIGHTS, reason: expect.stringMatching(/the transfer was cut at \d+ of \d+ bytes \(stalled\)/) });
    const cdn = hub.requests.filter((r) => r.server === 'cdn' && r.url.endsWith(sha256Hex(FILES[WEIGHTS]!)));
    expect(cdn[1]?.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(sha256Hex(await readFile(model.files.weights))).toBe(sha256Hex(FILES[WEIGHTS]!));
  });

  it('catches a corrupted transfer by its sha256 and fetches the file again', async () => {
    hub.corruptOnce.add(WEIGHTS);
    const model = await resolveHubModel(REPO, options());
    const retry = events.find((e) => e.kind === 'retry');
    expect(retry).toMatchObject({ file: WEIGHTS, reason: expect.stringContaining('failed their check (sha256') });
    expect(hub.requests.filter((r) => r.server === 'cdn' && r.url.endsWith(sha256Hex(FILES[WEIGHTS]!)))).toHaveLength(2);
    expect(sha256Hex(await readFile(model.files.weights))).toBe(sha256Hex(FILES[WEIGHTS]!));
  });

  it('catches a corrupted file kept in git by its git blob id', async () => {
    hub.corruptOnce.add('open_clip_config.json');
    const model = await resolveHubModel(REPO, options());
    expect(events.find((e) => e.kind === 'retry')).toMatchObject({ file: 'open_clip_config.json', reason: expect.stringContaining('git blob id') });
    expect(Buffer.compare(await readFile(model.files.modelConfig), FILES['open_clip_config.json']!)).toBe(0);
  });

  it('gives up with a clear error when every transfer is corrupt, and leaves no blob or snapshot entry', async () => {
    hub.corruptAlways.add(WEIGHTS);
    await expect(resolveHubModel(REPO, { ...options(), retry: { attempts: 3, firstDelayMs: 1 } })).rejects.toThrow(
      /open_clip_model\.safetensors: download failed after 3 tries: the downloaded bytes failed their check \(sha256/,
    );
    const blobs = await tree(path.join(repoDir(), 'blobs'));
    expect(blobs).not.toContain(sha256Hex(FILES[WEIGHTS]!));
    expect(blobs.filter((f) => f.endsWith('.incomplete'))).toEqual([]);
    expect(await tree(path.join(repoDir(), 'snapshots', TINY_COMMIT))).not.toContain(WEIGHTS);
  });
});

describe('the cache', () => {
  it('makes no transfer on a second pull of a cached revision', async () => {
    const first = await resolveHubModel(REPO, options());
    hub.requests.length = 0;
    const second = await resolveHubModel(REPO, options());
    expect(hub.transfers()).toEqual([]);
    expect(second.transferredBytes).toBe(0);
    expect(second.files).toEqual(first.files);
    expect(second.provenance).toEqual(first.provenance);
  });

  it('lets two pulls of one model at once download each file once', async () => {
    const [a, b] = await Promise.all([resolveHubModel(REPO, options()), resolveHubModel(REPO, options())]);
    expect(a.files).toEqual(b.files);
    expect(hub.requests.filter((r) => r.server === 'cdn' && r.url.endsWith(sha256Hex(FILES[WEIGHTS]!)))).toHaveLength(1);
    expect(a.transferredBytes + b.transferredBytes).toBe(Object.values(a.provenance).reduce((n, p) => n + p.size, 0));
    expect(sha256Hex(await readFile(a.files.weights))).toBe(sha256Hex(FILES[WEIGHTS]!));
  });

  it('serves a second pull from the cache when the hub is down, saying so', async () => {
    const first = await resolveHubModel(REPO, options());
    await hub.stop();
    const second = await resolveHubModel(REPO, options());
    expect(second.files).toEqual(first.files);
    expect(second.provenance).toEqual(first.provenance);
    expect(second.fromCache).toBe(true);
    expect(notices).toEqual([expect.stringMatching(/cannot reach the hub \([A-Z_]+\); using the cached aaclip-test\/tiny-clip \(commit 1{40}\)/)]);
  });

  it('with HF_HUB_OFFLINE=1 and nothing cached, fails with a clear error and makes no request', async () => {
    await expect(resolveHubModel(REPO, options({ HF_HUB_OFFLINE: '1' }))).rejects.toThrow(
      `aaclip-test/tiny-clip: HF_HUB_OFFLINE is set, and aaclip-test/tiny-clip is not in the hub cache (${cacheDir}); run \`aaclip pull aaclip-test/tiny-clip\``,
    );
    expect(hub.requests).toEqual([]);
  });

  it('with HF_HUB_OFFLINE=1, serves a cached revision without any request', async () => {
    const first = await resolveHubModel(REPO, options());
    hub.requests.length = 0;
    const offline = await resolveHubModel(REPO, options({ HF_HUB_OFFLINE: 'true' }));
    expect(offline.files).toEqual(first.files);
    expect(hub.requests).toEqual([]);
    await expect(resolveHubModel(`${REPO}@v1`, options({ HF_HUB_OFFLINE: '1' }))).rejects.toThrow(/HF_HUB_OFFLINE is set, and aaclip-test\/tiny-clip@v1 is not in the hub cache/);
  });

  it('serves a cached commit hash without asking the hub', async () => {
    await resolveHubModel(REPO, options());
    hub.requests.length = 0;
    const pinned = await resolveHubModel(`${REPO}@${TINY_COMMIT}`, options());
    expect(hub.requests).toEqual([]);
    expect(pinned.provenance.weights.commit).toBe(TINY_COMMIT);
  });
});

describe('access and bad answers', () => {
  it('sends HF_TOKEN to the hub only, not to the CDN it redirects to', async () => {
    await expect(resolveHubModel('aaclip-test/gated', options())).rejects.toThrow(/access denied \(HTTP 401\); a gated or private repo needs a token: set HF_TOKEN/);
    hub.requests.length = 0;
    await resolveHubModel('aaclip-test/gated', options({ HF_TOKEN: 'hf_secret' }));
    expect(hub.requests.filter((r) => r.server === 'hub').every((r) => r.authorization === 'Bearer hf_secret')).toBe(true);
    expect(hub.requests.filter((r) => r.server === 'cdn').length).toBeGreaterThan(0);
    expect(hub.requests.filter((r) => r.server === 'cdn').every((r) => r.authorization === undefined)).toBe(true);
  });

  it('refuses an X-Linked-Etag that contradicts the listing, and a redirect off http(s)', async () => {
    hub.wrongLinkedEtag.add(WEIGHTS);
    await expect(resolveHubModel(REPO, options())).rejects.toThrow(/the hub's X-Linked-Etag 0{64} is not the sha256 its file list gives/);
    hub.wrongLinkedEtag.clear();
    hub.redirectTo.set(WEIGHTS, 'file:///etc/passwd');
    await expect(resolveHubModel(REPO, options())).rejects.toThrow(/the hub redirected to a file: address/);
    expect((await tree(path.join(repoDir(), 'blobs'))).filter((f) => f.startsWith(sha256Hex(FILES[WEIGHTS]!)))).toEqual([]);
  });

  it('says when a repo does not exist', async () => {
    await expect(resolveHubModel('aaclip-test/nothing-here', options())).rejects.toThrow(/not found on http:\/\/127\.0\.0\.1:\d+ \(HTTP 404\); check the repo id and the revision/);
  });

  it('refuses malformed references before any request', async () => {
    for (const bad of ['a/b/c', '../x', 'org/na--me', 'org/name@../../etc', 'org/name@']) {
      await expect(resolveHubModel(bad, options())).rejects.toThrow(/^--model: /);
    }
    expect(hub.requests).toEqual([]);
  });

  it('refuses a hostile tree listing and writes nothing outside the cache', async () => {
    const files = tinyModelFiles({ weights: WEIGHT_BYTES });
    for (const hostile of ['../../../escaped.txt', '/tmp/absolute.txt', 'a/../../b.txt', 'C:/windows.txt', 'back\\slash.txt']) {
      const listing = [{ type: 'file', oid: gitBlobId(Buffer.from('x')), size: 1, path: hostile }, ...files.map((f) => ({ type: 'file', oid: gitBlobId(f.bytes), size: f.bytes.byteLength, path: f.path }))];
      await hub.stop();
      hub = await new FakeHub({ 'evil/repo': { commits: { [TINY_COMMIT]: [...files, { path: hostile, bytes: Buffer.from('x') }] }, refs: { main: TINY_COMMIT }, tree: listing } }).start();
      await expect(resolveHubModel('evil/repo', options())).rejects.toThrow(/the hub listed an unsafe file path .*nothing was written/);
    }
    expect(await tree(work)).not.toContain('escaped.txt');
    expect(await tree(cacheDir)).toEqual([]);
  });

  it('refuses a commit hash that is not one', async () => {
    await hub.stop();
    hub = await new FakeHub({ 'evil/repo': { commits: { '../../x': tinyModelFiles({ weights: WEIGHT_BYTES }) }, refs: { main: '../../x' } } }).start();
    await expect(resolveHubModel('evil/repo', options())).rejects.toThrow(/the repo info gives no commit hash/);
    expect(await tree(cacheDir)).toEqual([]);
  });

  it('says which files a repo lacks', async () => {
    await hub.stop();
    hub = await new FakeHub({ 'org/not-clip': { commits: { [TINY_COMMIT]: [{ path: 'model.safetensors', bytes: Buffer.from('x') }, { path: 'config.json', bytes: Buffer.from('{}') }] }, refs: { main: TINY_COMMIT } } }).start();
    await expect(resolveHubModel('org/not-clip', options())).rejects.toThrow(/no open_clip config file \(looked for open_clip_config\.json\) \(its files: model\.safetensors, config\.json\)/);
  });
});

it('snapshot entries are links, blobs regular files', async () => {
  const model = await resolveHubModel(REPO, options());
  expect((await lstat(model.files.weights)).isSymbolicLink()).toBe(true);
  expect((await lstat(path.join(repoDir(), 'blobs', model.provenance.weights.sha256))).isFile()).toBe(true);
});
