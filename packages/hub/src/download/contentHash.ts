import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * What a file's bytes must hash to: an LFS file's sha256, or (for files kept in git itself)
 * the git blob id, sha1 over "blob <size>\0" and the content.
 */
export type ExpectedContent = { readonly kind: 'sha256'; readonly hex: string; readonly size: number } | { readonly kind: 'git-blob'; readonly hex: string; readonly size: number };

/** Hashes a stream of bytes both ways at once: sha256 (kept as provenance) and the check the content needs. */
export class ContentHasher {
  private readonly sha256: Hash = createHash('sha256');
  private readonly gitBlob: Hash | null;
  constructor(readonly expected: ExpectedContent) {
    this.gitBlob = expected.kind === 'git-blob' ? createHash('sha1').update(`blob ${expected.size}\0`) : null;
  }
  update(chunk: Uint8Array): void {
    this.sha256.update(chunk);
    this.gitBlob?.update(chunk);
  }
  /** The content's sha256, or a one-line reason why the content is not what was expected. */
  finish(): { sha256: string; problem: string | null } {
    const sha256 = this.sha256.digest('hex');
    const got = this.gitBlob ? this.gitBlob.digest('hex') : sha256;
    const problem = got === this.expected.hex ? null : `${this.expected.kind === 'sha256' ? 'sha256' : 'git blob id'} ${got} instead of ${this.expected.hex}`;
    return { sha256, problem };
  }
}

/** The sha256 of a file's content. */
export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Feeds the first bytes of a file (an interrupted download's part) into a hasher. */
export async function hashFilePrefix(file: string, hasher: ContentHasher): Promise<void> {
  for await (const chunk of createReadStream(file)) hasher.update(chunk as Buffer);
}
