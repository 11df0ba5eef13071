import { AaclipError } from '@aaclip/core';
import { connectRedis, openScoringQueue, type RedisConnection, type ScoringQueue } from '@aaclip/queue';
import { parsePositiveInt } from './modelOptions.js';

/** parseArgs option specs of the commands that use a queue (worker, submit, collect, eval --queue). */
export const QUEUE_OPTION_SPECS = {
  redis: { type: 'string' },
  queue: { type: 'string' },
} as const;

export const QUEUE_OPTIONS_HELP = `Queue:
  --redis <url>             the Redis server: redis://[user:password@]host[:port][/db] (rediss:// for TLS)
  --queue <name>            the queue's name (letters, digits, "_", "-", "."); workers and submitters
                            of one run use the same name`;

/** Retry options of the commands that add jobs (submit, eval --queue). */
export const RETRY_OPTION_SPECS = {
  attempts: { type: 'string' },
  backoff: { type: 'string' },
} as const;

export const RETRY_OPTIONS_HELP = `  --attempts <n>            tries per image before it is listed as failed (default 3)
  --backoff <ms>            wait before the first retry, doubled for each further one (default 1000)`;

export function retryOptions(values: { attempts?: string; backoff?: string }): { attempts?: number; backoffMs?: number } {
  const attempts = parsePositiveInt(values.attempts, '--attempts');
  const backoffMs = parsePositiveInt(values.backoff, '--backoff');
  return { ...(attempts === undefined ? {} : { attempts }), ...(backoffMs === undefined ? {} : { backoffMs }) };
}

export interface QueueConnection {
  readonly redis: RedisConnection;
  readonly queue: ScoringQueue;
  readonly url: string;
  readonly name: string;
  /** Closes the queue and the connection. */
  close(): Promise<void>;
}

/** Checks --redis and --queue (falling back to `defaults`) and opens the queue. */
export async function openQueue(values: { redis?: string; queue?: string }, defaults: { redis?: string; queue?: string } = {}): Promise<QueueConnection> {
  const url = values.redis ?? defaults.redis;
  const name = values.queue ?? defaults.queue;
  if (!url) throw new AaclipError('is required', '--redis');
  if (!name) throw new AaclipError('is required', '--queue');
  const redis = await connectRedis(url, '--redis');
  let queue: ScoringQueue;
  try {
    queue = openScoringQueue(redis, name, '--queue');
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  return {
    redis,
    queue,
    url,
    name,
    async close() {
      await queue.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
