import { Redis } from 'ioredis';
import { AaclipError } from '@aaclip/core';

/** How long a first connection may take before the Redis server counts as unreachable. */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Opens a connection for BullMQ to the Redis server at `url` (`redis://[user:password@]host[:port][/db]`,
 * or `rediss://` for TLS) and checks that the server answers. Later outages are waited out: commands
 * wait while the client reconnects (BullMQ needs `maxRetriesPerRequest: null` for that), so a Redis
 * restart pauses a run instead of ending it. `what` names the setting in errors (e.g. "--redis").
 */
export async function connectRedis(url: string, what = 'redis url'): Promise<Redis> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AaclipError(`expected a redis://host:port URL, got "${url}"`, what);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new AaclipError(`expected a redis:// or rediss:// URL, got "${url}"`, what);
  }
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true });
  // Errors while reconnecting are reported through the commands that wait on them; without a
  // listener ioredis would print each one. The last one explains a failed first connection.
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => (lastError = err));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect().then(() => redis.ping()),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    redis.disconnect();
    const reason = (lastError?.message ?? (err instanceof Error ? err.message : String(err))).split('\n')[0];
    throw new AaclipError(`cannot reach the Redis server at ${redactedUrl(parsed)} (${reason})`, what);
  } finally {
    clearTimeout(timer);
  }
  return redis;
}

/** The URL without its password, for messages. */
export function redactedUrl(url: URL | string): string {
  const u = new URL(url.toString());
  if (u.password) u.password = '***';
  return u.toString();
}
