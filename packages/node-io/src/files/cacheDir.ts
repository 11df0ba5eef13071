import os from 'node:os';
import path from 'node:path';

/**
 * The folder aaclip keeps its disk caches in: `$AACLIP_CACHE` when set, else `aaclip` under
 * `$XDG_CACHE_HOME`, else `~/.cache/aaclip`.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['AACLIP_CACHE']) return path.resolve(env['AACLIP_CACHE']);
  const base = env['XDG_CACHE_HOME'] ? path.resolve(env['XDG_CACHE_HOME']) : path.join(os.homedir(), '.cache');
  return path.join(base, 'aaclip');
}
