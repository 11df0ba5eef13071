import path from 'node:path';

/**
 * The hub cache layout, as huggingface_hub writes it (so files are shared with the Python tools):
 *
 *     <cache>/models--<org>--<name>/
 *       blobs/<sha256 for LFS files, git blob id otherwise>      the content, once
 *       blobs/<...>.incomplete                                    a download in progress
 *       snapshots/<commit>/<path in repo> -> ../../blobs/<...>    relative symbolic links
 *       refs/<revision>                                           the commit a branch or tag was at
 *     <cache>/.locks/models--<org>--<name>/<id>.aaclip-lock         held while <id> is downloaded
 */
export interface RepoCacheLayout {
  readonly repoDir: string;
  blob(id: string): string;
  incomplete(id: string): string;
  snapshotDir(commit: string): string;
  snapshotFile(commit: string, file: string): string;
  ref(revision: string): string;
  /** `.locks/models--org--name/<id>.aaclip-lock`: held while the blob is downloaded. */
  downloadLock(id: string): string;
}

/** `models--org--name`: the repo's folder name in the cache. */
export function repoFolderName(repo: string): string {
  return ['models', ...repo.split('/')].join('--');
}

/** The cache paths of one model repo. Paths given here must already be checked (repo id, revision, file path, blob id). */
export function repoCacheLayout(cacheDir: string, repo: string): RepoCacheLayout {
  const repoDir = path.join(cacheDir, repoFolderName(repo));
  return {
    repoDir,
    blob: (id) => path.join(repoDir, 'blobs', id),
    incomplete: (id) => path.join(repoDir, 'blobs', `${id}.incomplete`),
    snapshotDir: (commit) => path.join(repoDir, 'snapshots', commit),
    snapshotFile: (commit, file) => path.join(repoDir, 'snapshots', commit, ...file.split('/')),
    ref: (revision) => path.join(repoDir, 'refs', ...revision.split('/')),
    downloadLock: (id) => path.join(cacheDir, '.locks', repoFolderName(repo), `${id}.aaclip-lock`),
  };
}
