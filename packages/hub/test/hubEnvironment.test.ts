import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubEnvironment, parseRepoReference, repoFolderName, resolveHubModel } from '../src/index.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-hub-env-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('hubEnvironment reads the variables the Hugging Face clients read', () => {
  it('defaults: huggingface.co, ~/.cache/huggingface/hub, online, no token', () => {
    const env = hubEnvironment({ HOME: os.homedir(), HF_TOKEN_PATH: path.join(work, 'absent-token') });
    expect(env).toEqual({ endpoint: 'https://huggingface.co', cacheDir: path.join(os.homedir(), '.cache', 'huggingface', 'hub'), offline: false });
  });

  it('cache folder: HF_HUB_CACHE, then HUGGINGFACE_HUB_CACHE, then HF_HOME/hub, then XDG_CACHE_HOME/huggingface/hub', () => {
    const base = { HF_TOKEN_PATH: path.join(work, 'absent-token') };
    expect(hubEnvironment({ ...base, HF_HUB_CACHE: '/a', HUGGINGFACE_HUB_CACHE: '/b', HF_HOME: '/c' }).cacheDir).toBe('/a');
    expect(hubEnvironment({ ...base, HUGGINGFACE_HUB_CACHE: '/b', HF_HOME: '/c' }).cacheDir).toBe('/b');
    expect(hubEnvironment({ ...base, HF_HOME: '/c', XDG_CACHE_HOME: '/d' }).cacheDir).toBe('/c/hub');
    expect(hubEnvironment({ ...base, XDG_CACHE_HOME: '/d' }).cacheDir).toBe('/d/huggingface/hub');
    expect(hubEnvironment({ ...base, HF_HUB_CACHE: '~/models' }).cacheDir).toBe(path.join(os.homedir(), 'models'));
  });

  it('HF_ENDPOINT without its trailing slash; a bad one refused naming the variable', () => {
    expect(hubEnvironment({ HF_ENDPOINT: 'https://hf-mirror.example/' }).endpoint).toBe('https://hf-mirror.example');
    expect(() => hubEnvironment({ HF_ENDPOINT: 'ftp://x' })).toThrow('HF_ENDPOINT: "ftp://x" is not an http(s) URL');
    expect(() => hubEnvironment({ HF_ENDPOINT: 'not a url' })).toThrow('HF_ENDPOINT: "not a url" is not a URL');
  });

  it('HF_HUB_OFFLINE: 1, true, yes, on in any case', () => {
    for (const value of ['1', 'true', 'YES', 'On']) expect(hubEnvironment({ HF_HUB_OFFLINE: value }).offline).toBe(true);
    for (const value of ['0', 'false', '']) expect(hubEnvironment({ HF_HUB_OFFLINE: value }).offline).toBe(false);
  });

  it('token: HF_TOKEN, else the token file (HF_TOKEN_PATH, else HF_HOME/token)', async () => {
    const home = path.join(work, 'home');
    await writeFile(path.join(work, 'token'), 'hf_from_file\n');
    expect(hubEnvironment({ HF_TOKEN: 'hf_env', HF_TOKEN_PATH: path.join(work, 'token') }).token).toBe('hf_env');
    expect(hubEnvironment({ HF_TOKEN_PATH: path.join(work, 'token') }).token).toBe('hf_from_file');
    expect(hubEnvironment({ HF_HOME: home }).token).toBeUndefined();
    await import('node:fs/promises').then((fs) => fs.mkdir(home, { recursive: true }));
    await writeFile(path.join(home, 'token'), 'hf_home');
    expect(hubEnvironment({ HF_HOME: home }).token).toBe('hf_home');
  });
});

describe('repo references', () => {
  it('org/name[@revision], main by default; the cache folder name as huggingface_hub makes it', () => {
    expect(parseRepoReference('timm/vit_large_patch14_clip_336.openai')).toEqual({ repo: 'timm/vit_large_patch14_clip_336.openai', revision: 'main' });
    expect(parseRepoReference('org/name@refs/pr/1')).toEqual({ repo: 'org/name', revision: 'refs/pr/1' });
    expect(repoFolderName('timm/vit_large_patch14_clip_336.openai')).toBe('models--timm--vit_large_patch14_clip_336.openai');
  });

  it('refuses a revision on a preset (it names fixed repos), pointing to the repo id', async () => {
    await expect(resolveHubModel('ViT-L-14-336@v2', { env: { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: work } })).rejects.toThrow(
      '--model: a preset names fixed repos; give a repo id to choose a revision (e.g. timm/vit_large_patch14_clip_336.openai@<revision>)',
    );
  });

  it('refuses ids and revisions that could leave the cache, naming the source', () => {
    expect(() => parseRepoReference('name-only', '--model')).toThrow('--model: expected a hub repo id of the form org/name, got "name-only"');
    expect(() => parseRepoReference('org/..', 'x')).toThrow(/may not hold "--" or "\.\."/);
    expect(() => parseRepoReference('org/name@a/../../b', 'x')).toThrow(/may not have an empty, "\." or "\.\." part/);
    expect(() => parseRepoReference('org/name@/abs', 'x')).toThrow(/may not have an empty/);
    expect(() => parseRepoReference('org/name@a b', 'x')).toThrow(/a revision is letters/);
  });
});
