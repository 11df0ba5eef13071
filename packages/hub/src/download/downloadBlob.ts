import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { AaclipError } from '@aaclip/core';
import type { HubEnvironment } from '../environment/hubEnvironment.js';
import { describeNetworkError, hubHeaders, isRetryableStatus, statusProblem } from '../api/hubRequest.js';
import type { RepoFile } from '../api/repoListing.js';
import type { RepoCacheLayout } from '../cache/cacheLayout.js';
import { ContentHasher, hashFilePrefix, sha256OfFile, type ExpectedContent } from './contentHash.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, type TransferListener } from './transferEvents.js';
import { withDownloadLock } from './downloadLock.js';

/** A failure another try may cure: a cut or stalled transfer, a busy server, bytes that failed their check. */
class RetryableTransferError extends Error {}

const MAX_REDIRECTS = 10;

/** The blob id a file is stored under: its LFS sha256, else its git blob id (huggingface_hub's etag). */
export function blobIdOf(file: RepoFile): string {
  return file.lfs?.sha256 ?? file.oid;
}

function expectedContent(file: RepoFile): ExpectedContent {
  return file.lfs ? { kind: 'sha256', hex: file.lfs.sha256, size: file.lfs.size } : { kind: 'git-blob', hex: file.oid, size: file.size };
}

/** An ETag as huggingface_hub compares it: without a weak-validator prefix and quotes. */
export function normalizeEtag(value: string | null): string | null {
  return value ? value.replace(/^W\//, '').replace(/^"|"$/g, '') : null;
}

async function sizeOf(file: string): Promise<number | null> {
  return stat(file).then((s) => (s.isFile() ? s.size : null), () => null);
}

/**
 * GETs `url`, following redirects by hand so that the first answer's headers can be read (the
 * hub puts X-Linked-Etag on the redirect) and the token is sent to the hub's origin only.
 */
async function openTransfer(env: HubEnvironment, url: string, extra: Record<string, string>, signal: AbortSignal): Promise<{ response: Response; first: Headers }> {
  let current = url;
  let first: Headers | null = null;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const response = await fetch(current, { headers: hubHeaders(env, current, extra), redirect: 'manual', signal });
    first ??= response.headers;
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return { response, first };
    await response.body?.cancel();
    const next = new URL(location, current);
    if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new AaclipError(`the hub redirected to a ${next.protocol} address`, url);
    current = next.href;
  }
  throw new AaclipError(`more than ${MAX_REDIRECTS} redirects`, url);
}

interface TransferTarget {
  readonly env: HubEnvironment;
  readonly url: string;
  readonly file: RepoFile;
  readonly incomplete: string;
  readonly policy: RetryPolicy;
  readonly onProgress?: TransferListener | undefined;
}

/** Checks the bytes already in `.incomplete` when they are all there; throws to start over when they fail. */
async function checkFinishedPart(target: TransferTarget, expected: ExpectedContent): Promise<string> {
  const hasher = new ContentHasher(expected);
  await hashFilePrefix(target.incomplete, hasher);
  const { sha256, problem } = hasher.finish();
  if (problem) {
    await rm(target.incomplete, { force: true });
    throw new RetryableTransferError(`the downloaded bytes failed their check (${problem}); fetching again`);
  }
  return sha256;
}

/**
 * One try: resumes `.incomplete` with a Range request where a part is there, streams the rest into
 * it while hashing, and checks size and hash. Returns the content's sha256.
 */
async function transferOnce(target: TransferTarget): Promise<string> {
  const { env, url, file, incomplete, policy, onProgress } = target;
  const expected = expectedContent(file);
  let offset = (await sizeOf(incomplete)) ?? 0;
  if (offset > expected.size) {
    await rm(incomplete, { force: true });
    offset = 0;
  }
  if (offset === expected.size && offset > 0) return checkFinishedPart(target, expected);

  const stall = new AbortController();
  let timer = setTimeout(() => stall.abort(), policy.stallTimeoutMs);
  const keepAlive = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort(), policy.stallTimeoutMs);
  };
  let handle: Awaited<ReturnType<typeof open>> | null = null;
  try {
    const range: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
    let opened: { response: Response; first: Headers };
    try {
      opened = await openTransfer(env, url, { 'accept-encoding': 'identity', ...range }, stall.signal);
    } catch (err) {
      if (err instanceof AaclipError) throw err;
      throw new RetryableTransferError(describeNetworkError(err));
    }
    const { response, first } = opened;
    if (response.status === 416) {
      await response.body?.cancel();
      await rm(incomplete, { force: true });
      throw new RetryableTransferError('the server refused to resume (HTTP 416); starting over');
    }
    if (!response.ok) {
      await response.body?.cancel();
      const problem = statusProblem(response.status, file.path, env);
      if (isRetryableStatus(response.status)) throw new RetryableTransferError(problem);
      throw new AaclipError(problem, url, { code: response.status === 404 ? 'not-found' : 'bad-input' });
    }
    // The hub names an LFS file's sha256 in X-Linked-Etag: it must be the one the listing gave.
    const linked = normalizeEtag(first.get('x-linked-etag'));
    if (file.lfs && linked && linked !== file.lfs.sha256) {
      await response.body?.cancel();
      throw new AaclipError(`the hub's X-Linked-Etag ${linked} is not the sha256 its file list gives (${file.lfs.sha256})`, url);
    }
    const hasher = new ContentHasher(expected);
    if (response.status === 206 && offset > 0) {
      const start = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1];
      if (Number(start) !== offset) {
        await response.body?.cancel();
        await rm(incomplete, { force: true });
        throw new RetryableTransferError('the server resumed at another offset; starting over');
      }
      await hashFilePrefix(incomplete, hasher);
    } else {
      offset = 0; // a full answer to a Range request: start over
    }
    onProgress?.({ kind: 'start', file: file.path, total: expected.size, resumedFrom: offset });
    handle = await open(incomplete, offset > 0 ? 'a' : 'w');
    let done = offset;
    const reader = response.body?.getReader();
    try {
      for (;;) {
        const next = reader ? await reader.read() : { done: true as const, value: undefined };
        if (next.done) break;
        keepAlive();
        const bytes: Uint8Array = next.value;
        done += bytes.byteLength;
        if (done > expected.size) {
          await handle.close();
          handle = null;
          await rm(incomplete, { force: true });
          throw new RetryableTransferError(`the server sent more than the listed ${expected.size} bytes`);
        }
        hasher.update(bytes);
        await handle.write(bytes);
        onProgress?.({ kind: 'bytes', file: file.path, done, total: expected.size });
      }
    } catch (err) {
      await reader?.cancel().catch(() => undefined);
      if (err instanceof RetryableTransferError || err instanceof AaclipError) throw err;
      throw new RetryableTransferError(`the transfer was cut at ${done} of ${expected.size} bytes (${stall.signal.aborted ? 'stalled' : describeNetworkError(err)})`);
    }
    await handle.sync();
    await handle.close();
    handle = null;
    if (done < expected.size) throw new RetryableTransferError(`the transfer was cut at ${done} of ${expected.size} bytes`);
    const { sha256, problem } = hasher.finish();
    if (problem) {
      await rm(incomplete, { force: true });
      throw new RetryableTransferError(`the downloaded bytes failed their check (${problem}); fetching again`);
    }
    return sha256;
  } finally {
    clearTimeout(timer);
    await handle?.close();
  }
}

/**
 * Makes sure `blobs/<id>` holds the file's bytes: nothing is transferred when the blob is there;
 * otherwise it is downloaded into `blobs/<id>.incomplete` (resumed from what a cut transfer left),
 * checked against its sha256 (LFS) or git blob id, and only then renamed to `blobs/<id>`, so a
 * blob is never a part. Cut, stalled or failed transfers and bytes that fail the check are tried
 * again with growing waits. One pull at a time writes a blob (see withDownloadLock). Returns the
 * content's sha256 and whether anything was transferred.
 */
export async function downloadBlob(
  env: HubEnvironment,
  layout: RepoCacheLayout,
  url: string,
  file: RepoFile,
  options: { policy?: Partial<RetryPolicy>; onProgress?: TransferListener | undefined } = {},
): Promise<{ sha256: string; transferred: boolean }> {
  const id = blobIdOf(file);
  const blob = layout.blob(id);
  const cached = async () => {
    if ((await sizeOf(blob)) !== (file.lfs?.size ?? file.size)) return null;
    options.onProgress?.({ kind: 'cached', file: file.path, total: file.lfs?.size ?? file.size });
    return { sha256: file.lfs ? id : await sha256OfFile(blob), transferred: false };
  };
  // Checked before the lock (the usual case: nothing to do) and again inside it (another pull may just have written it).
  return (await cached()) ?? withDownloadLock(layout.downloadLock(id), async () => (await cached()) ?? transferBlob(env, layout, url, file, options));
}

async function transferBlob(
  env: HubEnvironment,
  layout: RepoCacheLayout,
  url: string,
  file: RepoFile,
  options: { policy?: Partial<RetryPolicy>; onProgress?: TransferListener | undefined },
): Promise<{ sha256: string; transferred: boolean }> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
  const id = blobIdOf(file);
  const blob = layout.blob(id);
  await mkdir(layout.blob(''), { recursive: true });
  const target: TransferTarget = { env, url, file, incomplete: layout.incomplete(id), policy, onProgress: options.onProgress };
  for (let attempt = 1; ; attempt++) {
    try {
      const sha256 = await transferOnce(target);
      await rename(target.incomplete, blob);
      options.onProgress?.({ kind: 'done', file: file.path, total: file.lfs?.size ?? file.size });
      return { sha256, transferred: true };
    } catch (err) {
      if (!(err instanceof RetryableTransferError)) throw err;
      if (attempt >= policy.attempts) {
        throw new AaclipError(`download failed after ${attempt} tries: ${err.message}`, `${url}`, { code: 'unavailable' });
      }
      const delayMs = policy.firstDelayMs * 2 ** (attempt - 1);
      options.onProgress?.({ kind: 'retry', file: file.path, attempt, reason: err.message, delayMs });
      await sleep(delayMs);
    }
  }
}
