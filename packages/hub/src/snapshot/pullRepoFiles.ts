import { readdir, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { AaclipError } from '@aaclip/core';
import type { HubEnvironment } from '../environment/hubEnvironment.js';
import { HubUnreachableError } from '../api/hubRequest.js';
import { listRepo, resolveUrl, type RepoFile, type RepoListing } from '../api/repoListing.js';
import { repoCacheLayout, type RepoCacheLayout } from '../cache/cacheLayout.js';
import { linkSnapshotFile, readRef, writeRef } from '../cache/snapshotLinks.js';
import { downloadBlob } from '../download/downloadBlob.js';
import { sha256OfFile } from '../download/contentHash.js';
import type { RetryPolicy, TransferListener } from '../download/transferEvents.js';
import { COMMIT_HASH, formatRepoReference, type RepoReference } from '../repo/repoReference.js';

/** Where one file of a pull came from and where it now is. */
export interface PulledFile {
  readonly repo: string;
  readonly revision: string;
  readonly commit: string;
  /** Its path in the repo. */
  readonly file: string;
  /** The address its bytes were (or would be) fetched from, at the commit. */
  readonly url: string;
  readonly sha256: string;
  readonly size: number;
  /** `snapshots/<commit>/<file>` in the cache. */
  readonly localPath: string;
}

/** Picks the wanted files from a repo's root file names: a map key → path, or a reason none fit. */
export type FilePicker<K extends string> = (rootFiles: readonly string[]) => { picked: Partial<Record<K, string>> } | { problem: string };

export interface PullOptions {
  readonly onProgress?: TransferListener | undefined;
  /** Lines worth telling the user that are no failure (e.g. "hub unreachable, using the cache"). */
  readonly onNotice?: ((line: string) => void) | undefined;
  readonly retry?: Partial<RetryPolicy> | undefined;
}

export interface PulledRepo<K extends string> {
  readonly commit: string;
  readonly files: Partial<Record<K, PulledFile>>;
  /** True when no request was made (offline, a cached commit, or the hub out of reach). */
  readonly fromCache: boolean;
  /** Bytes downloaded by this pull (0 when everything was cached). */
  readonly transferredBytes: number;
}

/** The sha256 of a snapshot file: its blob's name for LFS blobs (checked when written), else hashed. */
async function snapshotSha256(localPath: string): Promise<string> {
  const target = await readlink(localPath).catch(() => null);
  const name = target ? path.basename(target) : '';
  return /^[0-9a-f]{64}$/.test(name) ? name : sha256OfFile(localPath);
}

/** The picked files of a revision already in the cache, or null when the cache cannot serve it. */
async function fromCache<K extends string>(env: HubEnvironment, layout: RepoCacheLayout, ref: RepoReference, pick: FilePicker<K>): Promise<PulledRepo<K> | null> {
  const commit = COMMIT_HASH.test(ref.revision) ? ref.revision : await readRef(layout, ref.revision);
  if (!commit || !COMMIT_HASH.test(commit)) return null;
  const entries = await readdir(layout.snapshotDir(commit), { withFileTypes: true }).catch(() => null);
  if (!entries) return null;
  const rootFiles: string[] = [];
  for (const entry of entries) {
    const st = await stat(path.join(layout.snapshotDir(commit), entry.name)).catch(() => null);
    if (st?.isFile()) rootFiles.push(entry.name);
  }
  const choice = pick(rootFiles);
  if ('problem' in choice) return null;
  const files: Partial<Record<K, PulledFile>> = {};
  for (const [key, file] of Object.entries(choice.picked) as [K, string][]) {
    const localPath = layout.snapshotFile(commit, file);
    files[key] = {
      repo: ref.repo,
      revision: ref.revision,
      commit,
      file,
      url: resolveUrl(env.endpoint, ref.repo, commit, file),
      sha256: await snapshotSha256(localPath),
      size: (await stat(localPath)).size,
      localPath,
    };
  }
  return { commit, files, fromCache: true, transferredBytes: 0 };
}

function offlineError(env: HubEnvironment, ref: RepoReference, why: string): AaclipError {
  return new AaclipError(
    `${why}, and ${formatRepoReference(ref)} is not in the hub cache (${env.cacheDir}); run \`aaclip pull ${formatRepoReference(ref)}\` where the hub can be reached (or set HF_HUB_CACHE to the cache that has it)`,
    formatRepoReference(ref),
    { code: 'unavailable' },
  );
}

/**
 * Brings the files `pick` chooses from a repo revision into the hub cache and returns where
 * they are. Online: the revision is resolved to its commit and listed; each file is downloaded
 * unless its blob is cached (a second pull transfers nothing); `refs/<revision>` records the
 * commit. A commit hash whose files are all cached is served without a request. Offline
 * (HF_HUB_OFFLINE) or with the hub out of reach, the cache serves the revision or the error says so.
 */
export async function pullRepoFiles<K extends string>(env: HubEnvironment, ref: RepoReference, pick: FilePicker<K>, options: PullOptions = {}): Promise<PulledRepo<K>> {
  const layout = repoCacheLayout(env.cacheDir, ref.repo);
  if (env.offline || COMMIT_HASH.test(ref.revision)) {
    const cached = await fromCache(env, layout, ref, pick);
    if (cached) return cached;
    if (env.offline) throw offlineError(env, ref, 'HF_HUB_OFFLINE is set');
  }
  let listing: RepoListing;
  try {
    listing = await listRepo(env, ref.repo, ref.revision);
  } catch (err) {
    if (!(err instanceof HubUnreachableError)) throw err;
    const cached = await fromCache(env, layout, ref, pick);
    if (!cached) throw offlineError(env, ref, err.problem);
    options.onNotice?.(`${err.message}; using the cached ${formatRepoReference(ref)} (commit ${cached.commit})`);
    return cached;
  }
  const byPath = new Map<string, RepoFile>(listing.files.map((f) => [f.path, f]));
  const rootFiles = listing.files.map((f) => f.path).filter((p) => !p.includes('/'));
  const choice = pick(rootFiles);
  if ('problem' in choice) throw new AaclipError(`${choice.problem} (its files: ${rootFiles.join(', ') || 'none'})`, `${formatRepoReference(ref)} on ${env.endpoint}`, { code: 'not-found' });

  const files: Partial<Record<K, PulledFile>> = {};
  let transferredBytes = 0;
  for (const [key, repoPath] of Object.entries(choice.picked) as [K, string][]) {
    const file = byPath.get(repoPath)!;
    const url = resolveUrl(env.endpoint, ref.repo, listing.commit, file.path);
    const { sha256, transferred } = await downloadBlob(env, layout, url, file, { policy: options.retry, onProgress: options.onProgress });
    if (transferred) transferredBytes += file.lfs?.size ?? file.size;
    const localPath = await linkSnapshotFile(layout, listing.commit, file.path, file.lfs?.sha256 ?? file.oid);
    files[key] = { repo: ref.repo, revision: ref.revision, commit: listing.commit, file: file.path, url, sha256, size: file.lfs?.size ?? file.size, localPath };
  }
  await writeRef(layout, ref.revision, listing.commit);
  return { commit: listing.commit, files, fromCache: false, transferredBytes };
}
