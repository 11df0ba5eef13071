// A bundle (see `aaclip export`) from a folder URL: its manifest, then each file it lists, fetched
// with progress, refused past its listed size, and checked against its sha256 (Web Crypto) before
// anything uses it.
import { BUNDLE_LIMITS, BUNDLE_MANIFEST_FILE, openBundle, parseBundleManifest, type OpenedBundle } from '@aaclip/core';
import { fetchWithProgress } from './readWithProgress.js';

/** Progress of a bundle download: the file being fetched, and the bytes of the whole bundle so far and in all. */
export type BundleProgress = (file: string, loaded: number, total: number) => void;

/**
 * Fetches and opens the bundle at `folderUrl` (a trailing "/" is added when missing; files are
 * fetched relative to it). Errors are one line naming the file's URL.
 */
export async function fetchBundle(folderUrl: string, onProgress?: BundleProgress): Promise<OpenedBundle> {
  const base = folderUrl.endsWith('/') ? folderUrl : `${folderUrl}/`;
  const source = base.slice(0, -1);
  const manifestUrl = new URL(BUNDLE_MANIFEST_FILE, base).href;
  const manifest = await fetchWithProgress(manifestUrl, undefined, { maxBytes: BUNDLE_LIMITS.manifestBytes });
  const total = parseBundleManifest(manifest, manifestUrl).files.reduce((sum, f) => sum + f.size, 0);
  let done = 0;
  const read = async (file: string, size: number): Promise<Uint8Array> => {
    const bytes = await fetchWithProgress(new URL(file, base).href, (loaded) => onProgress?.(file, done + loaded, total), { maxBytes: size });
    done += bytes.byteLength;
    return bytes;
  };
  return openBundle(manifest, read, { source });
}
