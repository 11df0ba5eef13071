import { AaclipError } from '@aaclip/core';

/** A model repository on the hub at a revision (branch, tag or commit). */
export interface RepoReference {
  /** `org/name`. */
  readonly repo: string;
  /** Branch, tag or 40-hex commit; `main` when not given. */
  readonly revision: string;
}

export const DEFAULT_REVISION = 'main';

// huggingface_hub's rule for repo ids: word characters, '-' and '.', no '--' or '..', no '-' or
// '.' at either end of a part; 96 characters at most. An organisation is required here.
const REPO_PART = /^[A-Za-z0-9_](?:[\w.-]*[A-Za-z0-9_])?$/;
const MAX_REPO_ID_LENGTH = 96;
const MAX_REVISION_LENGTH = 255;

export const COMMIT_HASH = /^[0-9a-f]{40}$/;

/** Why `repo` is not a hub repo id of the form org/name, or null when it is one. */
export function repoIdProblem(repo: string): string | null {
  const parts = repo.split('/');
  if (parts.length !== 2) return 'expected a hub repo id of the form org/name';
  if (repo.length > MAX_REPO_ID_LENGTH) return `a repo id has at most ${MAX_REPO_ID_LENGTH} characters`;
  if (repo.includes('--') || repo.includes('..')) return 'a repo id may not hold "--" or ".."';
  if (!parts.every((p) => REPO_PART.test(p))) return 'a repo id is letters, digits, "_", "-" and "." (org/name)';
  return null;
}

/**
 * Why `revision` cannot be a revision, or null. A revision names a file under `refs/` in the
 * cache, so it must stay inside it: no empty, "." or ".." part, no leading "/", no backslash.
 */
export function revisionProblem(revision: string): string | null {
  if (revision.length === 0 || revision.length > MAX_REVISION_LENGTH) return `a revision has 1 to ${MAX_REVISION_LENGTH} characters`;
  if (!/^[\w.\-/]+$/.test(revision)) return 'a revision is letters, digits, "_", "-", "." and "/"';
  if (revision.split('/').some((part) => part === '' || part === '.' || part === '..')) return 'a revision may not have an empty, "." or ".." part';
  return null;
}

/** Parses `org/name[@revision]`; errors name `source` (the flag or argument). */
export function parseRepoReference(text: string, source = 'repo'): RepoReference {
  const at = text.indexOf('@');
  const repo = at < 0 ? text : text.slice(0, at);
  const revision = at < 0 ? DEFAULT_REVISION : text.slice(at + 1);
  const repoProblem = repoIdProblem(repo);
  if (repoProblem) throw new AaclipError(`${repoProblem}, got "${text}"`, source);
  const revProblem = revisionProblem(revision);
  if (revProblem) throw new AaclipError(`${revProblem}, got "${revision}"`, source);
  return { repo, revision };
}

/** Whether `text` has the shape of `org/name[@revision]` (checked fully by parseRepoReference). */
export function looksLikeRepoReference(text: string): boolean {
  const repo = text.split('@')[0]!;
  return repoIdProblem(repo) === null;
}

/** `org/name@revision`, or `org/name` for the default revision. */
export function formatRepoReference(ref: RepoReference): string {
  return ref.revision === DEFAULT_REVISION ? ref.repo : `${ref.repo}@${ref.revision}`;
}
