import { AaclipError } from '@aaclip/core';
import type { HubEnvironment } from '../environment/hubEnvironment.js';
import { COMMIT_HASH } from '../repo/repoReference.js';
import { checkedRepoFilePath } from '../repo/repoFilePath.js';
import { getHubJson } from './hubRequest.js';

/** One file of a repo at a commit, as the tree listing gives it. */
export interface RepoFile {
  readonly path: string;
  readonly size: number;
  /** The git blob id (40 hex) of the file, or of its LFS pointer. */
  readonly oid: string;
  /** For LFS files: the content's sha256 (64 hex) and size. */
  readonly lfs?: { readonly sha256: string; readonly size: number };
}

/** A repo at a revision: the commit it resolves to and its files. */
export interface RepoListing {
  readonly repo: string;
  readonly revision: string;
  readonly commit: string;
  readonly files: readonly RepoFile[];
}

const SHA256 = /^[0-9a-f]{64}$/;
const GIT_OID = /^[0-9a-f]{40}$/;
/** Pages of a tree listing followed at most (the hub pages 1000 entries at a time). */
const MAX_TREE_PAGES = 1000;

const enc = (text: string) => text.split('/').map(encodeURIComponent).join('/');

export function repoInfoUrl(endpoint: string, repo: string, revision: string): string {
  return `${endpoint}/api/models/${enc(repo)}/revision/${encodeURIComponent(revision)}`;
}

export function treeUrl(endpoint: string, repo: string, commit: string): string {
  return `${endpoint}/api/models/${enc(repo)}/tree/${encodeURIComponent(commit)}?recursive=true&expand=false`;
}

/** `{endpoint}/{repo}/resolve/{revision}/{file}`: where a file's bytes are (perhaps via a redirect). */
export function resolveUrl(endpoint: string, repo: string, revision: string, file: string): string {
  return `${endpoint}/${enc(repo)}/resolve/${encodeURIComponent(revision)}/${enc(file)}`;
}

/** The `rel="next"` target of a Link header, or null. */
export function nextPageUrl(link: string | null): string | null {
  if (!link) return null;
  for (const part of link.split(',')) {
    const match = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (match && /\brel\s*=\s*"?next"?/.test(match[2]!)) return match[1]!;
  }
  return null;
}

function treeEntry(value: unknown, source: string): RepoFile | null {
  const entry = value as { type?: unknown; path?: unknown; size?: unknown; oid?: unknown; lfs?: { oid?: unknown; size?: unknown } | null };
  if (typeof entry !== 'object' || entry === null || typeof entry.path !== 'string') throw new AaclipError('the tree listing holds an entry without a path', source);
  checkedRepoFilePath(entry.path, source);
  if (entry.type !== 'file') return null;
  if (typeof entry.oid !== 'string' || !GIT_OID.test(entry.oid)) throw new AaclipError(`the tree listing gives "${entry.path}" no valid git id`, source);
  if (typeof entry.size !== 'number' || !Number.isSafeInteger(entry.size) || entry.size < 0) throw new AaclipError(`the tree listing gives "${entry.path}" no valid size`, source);
  if (!entry.lfs) return { path: entry.path, size: entry.size, oid: entry.oid };
  const { oid, size } = entry.lfs;
  if (typeof oid !== 'string' || !SHA256.test(oid) || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new AaclipError(`the tree listing gives "${entry.path}" no valid LFS sha256 and size`, source);
  }
  return { path: entry.path, size, oid: entry.oid, lfs: { sha256: oid, size } };
}

/**
 * The commit a revision resolves to (`/api/models/{repo}/revision/{rev}`) and every file at that
 * commit (`/api/models/{repo}/tree/{commit}?recursive=true`, following `Link: rel="next"` pages on
 * the hub's own origin). Every path is checked before it is returned: one unsafe path refuses the
 * whole listing.
 */
export async function listRepo(env: HubEnvironment, repo: string, revision: string): Promise<RepoListing> {
  const infoUrl = repoInfoUrl(env.endpoint, repo, revision);
  const { body: info } = await getHubJson(env, infoUrl, `${repo}@${revision}`);
  const commit = (info as { sha?: unknown } | null)?.sha;
  if (typeof commit !== 'string' || !COMMIT_HASH.test(commit)) throw new AaclipError('the repo info gives no commit hash (sha)', infoUrl);

  const files: RepoFile[] = [];
  const origin = new URL(env.endpoint).origin;
  let url: string | null = treeUrl(env.endpoint, repo, commit);
  for (let page = 0; url; page++) {
    if (page >= MAX_TREE_PAGES) throw new AaclipError(`the tree listing has more than ${MAX_TREE_PAGES} pages`, url);
    const { body, headers }: { body: unknown; headers: Headers } = await getHubJson(env, url, `${repo}@${commit} file list`);
    if (!Array.isArray(body)) throw new AaclipError('the tree listing is not a list', url);
    for (const value of body) {
      const file = treeEntry(value, url);
      if (file) files.push(file);
    }
    const next = nextPageUrl(headers.get('link'));
    if (next !== null) {
      const nextUrl: URL = new URL(next, url);
      if (nextUrl.origin !== origin) throw new AaclipError(`the tree listing's next page is on another host (${nextUrl.origin})`, url);
      url = nextUrl.href;
    } else {
      url = null;
    }
  }
  return { repo, revision, commit, files };
}
