// A Hugging Face hub on loopback for the download tests: repo info, the recursive tree listing
// (paged with Link headers), /resolve/ answering small files itself and redirecting LFS files to
// a second "CDN" server, which honours Range. Faults can be switched on per file.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface FakeRepoFile {
  readonly path: string;
  readonly bytes: Uint8Array;
}

export interface FakeRepo {
  /** commit hash → files at that commit. */
  readonly commits: Record<string, readonly FakeRepoFile[]>;
  /** branch or tag → commit hash. */
  readonly refs: Record<string, string>;
  /** Answer 401 unless this token is sent. */
  readonly token?: string;
  /** Replaces the tree listing (for hostile listings). */
  readonly tree?: readonly unknown[];
}

export interface RecordedRequest {
  readonly server: 'hub' | 'cdn';
  readonly method: string;
  readonly url: string;
  readonly range?: string;
  readonly authorization?: string;
}

/** Files the hub stores with LFS (by extension, as .gitattributes does for these). */
const isLfs = (file: string) => /\.(safetensors|bin|gz|pth|pt)$/.test(file);
const hashes = new WeakMap<Uint8Array, Map<string, string>>();
/** Hashes are remembered per buffer: the server hashes the same files for every listing. */
function memo(bytes: Uint8Array, kind: string, compute: () => string): string {
  let known = hashes.get(bytes);
  if (!known) hashes.set(bytes, (known = new Map()));
  let value = known.get(kind);
  if (value === undefined) known.set(kind, (value = compute()));
  return value;
}
export const sha256Hex = (bytes: Uint8Array) => memo(bytes, 'sha256', () => createHash('sha256').update(bytes).digest('hex'));
export const gitBlobId = (bytes: Uint8Array) => memo(bytes, 'git', () => createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex'));

export class FakeHub {
  readonly requests: RecordedRequest[] = [];
  /** Files whose next CDN transfer stops half-way (the socket is destroyed). */
  readonly cutOnce = new Set<string>();
  /** Files whose next CDN transfer sends half its bytes and then nothing, keeping the connection open. */
  readonly stallOnce = new Set<string>();
  /** Files whose next transfer has one byte flipped. */
  readonly corruptOnce = new Set<string>();
  /** Files whose every transfer has one byte flipped. */
  readonly corruptAlways = new Set<string>();
  /** Files whose /resolve/ redirect gives this Location instead of the CDN's. */
  readonly redirectTo = new Map<string, string>();
  /** Files whose X-Linked-Etag names another sha256 than the listing's. */
  readonly wrongLinkedEtag = new Set<string>();
  /** Tree entries per page; a Link header points to the next page. */
  treePageSize = 1000;
  private hub: Server | null = null;
  private cdn: Server | null = null;
  private cdnUrl = '';
  url = '';

  constructor(readonly repos: Record<string, FakeRepo>) {}

  async start(): Promise<this> {
    this.cdn = await listen((req, res) => this.answerCdn(req, res));
    this.cdnUrl = `http://127.0.0.1:${(this.cdn.address() as AddressInfo).port}`;
    this.hub = await listen((req, res) => this.answerHub(req, res));
    this.url = `http://127.0.0.1:${(this.hub.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const server of [this.hub, this.cdn]) {
      if (!server) continue;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    this.hub = this.cdn = null;
  }

  /** The requests for file bytes (resolve and CDN), the ones a cached pull must not make. */
  transfers(): RecordedRequest[] {
    return this.requests.filter((r) => r.url.includes('/resolve/') || r.server === 'cdn');
  }

  private record(server: 'hub' | 'cdn', req: IncomingMessage): void {
    this.requests.push({
      server,
      method: req.method ?? 'GET',
      url: req.url ?? '',
      ...(req.headers.range ? { range: req.headers.range } : {}),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
  }

  private findFile(sha: string): { repo: string; file: FakeRepoFile } | null {
    for (const [repo, r] of Object.entries(this.repos)) {
      for (const files of Object.values(r.commits)) for (const file of files) if (sha256Hex(file.bytes) === sha) return { repo, file };
    }
    return null;
  }

  private commitOf(repo: FakeRepo, revision: string): string | undefined {
    return repo.commits[revision] ? revision : repo.refs[revision];
  }

  private answerHub(req: IncomingMessage, res: ServerResponse): void {
    this.record('hub', req);
    const url = new URL(req.url ?? '/', this.url);
    const api = /^\/api\/models\/([^/]+)\/([^/]+)\/(revision|tree)\/(.+)$/.exec(url.pathname);
    const resolve = /^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const match = api ?? resolve;
    if (!match) return void res.writeHead(404).end();
    const repoId = `${decodeURIComponent(match[1]!)}/${decodeURIComponent(match[2]!)}`;
    const repo = this.repos[repoId];
    if (!repo) return void res.writeHead(404, { 'x-error-code': 'RepoNotFound' }).end('{"error":"Repository not found"}');
    if (repo.token && req.headers.authorization !== `Bearer ${repo.token}`) return void res.writeHead(401).end('{"error":"Invalid credentials"}');

    if (api) {
      const commit = this.commitOf(repo, decodeURIComponent(api[4]!));
      if (!commit) return void res.writeHead(404, { 'x-error-code': 'RevisionNotFound' }).end('{}');
      const files = repo.commits[commit]!;
      if (api[3] === 'revision') {
        return void json(res, { id: repoId, sha: commit, siblings: files.map((f) => ({ rfilename: f.path })) });
      }
      const entries = repo.tree ?? treeEntries(files);
      const cursor = Number(url.searchParams.get('cursor') ?? 0);
      const page = entries.slice(cursor, cursor + this.treePageSize);
      const headers: Record<string, string> = {};
      if (cursor + this.treePageSize < entries.length) {
        const next = new URL(url);
        next.searchParams.set('cursor', String(cursor + this.treePageSize));
        headers.link = `<${next.href}>; rel="next"`;
      }
      return void json(res, page, headers);
    }

    const commit = this.commitOf(repo, decodeURIComponent(resolve![3]!));
    const path = decodeURIComponent(resolve![4]!);
    const file = commit ? repo.commits[commit]!.find((f) => f.path === path) : undefined;
    if (!commit || !file) return void res.writeHead(404, { 'x-error-code': 'EntryNotFound' }).end();
    const common = { 'x-repo-commit': commit };
    if (isLfs(file.path)) {
      const sha = sha256Hex(file.bytes);
      const linked = this.wrongLinkedEtag.has(file.path) ? '0'.repeat(64) : sha;
      const location = this.redirectTo.get(file.path) ?? `${this.cdnUrl}/lfs/${sha}`;
      res.writeHead(302, { ...common, location, 'x-linked-etag': `"${linked}"`, 'x-linked-size': String(file.bytes.byteLength), etag: `"${gitBlobId(lfsPointer(file.bytes))}"` });
      return void res.end();
    }
    this.sendBytes(req, res, file, { ...common, etag: `"${gitBlobId(file.bytes)}"` });
  }

  private answerCdn(req: IncomingMessage, res: ServerResponse): void {
    this.record('cdn', req);
    const sha = /^\/lfs\/([0-9a-f]{64})$/.exec(req.url ?? '')?.[1];
    const found = sha ? this.findFile(sha) : null;
    if (!found) return void res.writeHead(404).end();
    this.sendBytes(req, res, found.file, { etag: `"${sha}"` });
  }

  /** The bytes, or the asked Range of them (206), with the faults armed for the file. */
  private sendBytes(req: IncomingMessage, res: ServerResponse, file: FakeRepoFile, headers: Record<string, string>): void {
    let bytes = Buffer.from(file.bytes);
    if (this.corruptOnce.delete(file.path) || this.corruptAlways.has(file.path)) {
      bytes = Buffer.from(bytes);
      bytes[bytes.length >> 1]! ^= 0xff;
    }
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      if (start >= bytes.length) return void res.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end();
    }
    const body = bytes.subarray(start);
    const status = range ? 206 : 200;
    res.writeHead(status, {
      ...headers,
      'accept-ranges': 'bytes',
      'content-length': String(body.length),
      ...(range ? { 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` } : {}),
    });
    if (this.stallOnce.delete(file.path)) {
      res.write(body.subarray(0, body.length >> 1));
      return;
    }
    if (this.cutOnce.delete(file.path)) {
      // Half the bytes, then the connection drops: the client sees a cut transfer.
      res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(body);
  }
}

/** The git-LFS pointer file a large file is kept as in git (its oid is what the tree's `oid` hashes). */
function lfsPointer(bytes: Uint8Array): Uint8Array {
  return Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256Hex(bytes)}\nsize ${bytes.byteLength}\n`);
}

/** The hub's recursive tree listing: folders, then files with git ids, sizes and LFS details. */
function treeEntries(files: readonly FakeRepoFile[]): unknown[] {
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [
    ...[...dirs].map((path) => ({ type: 'directory', oid: gitBlobId(Buffer.from(path)), size: 0, path })),
    ...files.map((f) => {
      if (!isLfs(f.path)) return { type: 'file', oid: gitBlobId(f.bytes), size: f.bytes.byteLength, path: f.path };
      const pointer = lfsPointer(f.bytes);
      return { type: 'file', oid: gitBlobId(pointer), size: f.bytes.byteLength, path: f.path, lfs: { oid: sha256Hex(f.bytes), size: f.bytes.byteLength, pointerSize: pointer.byteLength } };
    }),
  ];
}

function json(res: ServerResponse, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return server;
}

/** The hub client's environment variables that the CLI tests set. */
const HUB_VARIABLES = ['HF_ENDPOINT', 'HF_HUB_CACHE', 'HF_HOME', 'HF_TOKEN', 'HF_HUB_OFFLINE'] as const;

/**
 * Points this process's hub environment at a loopback hub with its cache under `work` (no token,
 * online), for tests that run the CLI in-process. Returns the function that puts it back.
 */
export function useHubEnvironment(hubUrl: string, work: string): () => void {
  const saved = HUB_VARIABLES.map((name) => [name, process.env[name]] as const);
  delete process.env.HF_TOKEN;
  delete process.env.HF_HUB_OFFLINE;
  process.env.HF_ENDPOINT = hubUrl;
  process.env.HF_HUB_CACHE = path.join(work, 'hub-cache');
  process.env.HF_HOME = path.join(work, 'hf-home');
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
