import { AaclipError } from '@aaclip/core';
import { checkQueueName, connectRedis, openScoringQueue, type RedisConnection, type ScoringQueue } from '@aaclip/queue';
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

/**
 * Says on stderr when the Redis connection drops and when it is back (the client reconnects by
 * itself and commands wait meanwhile, so a run pauses rather than fails). Returns a function that
 * silences it, for a deliberate close.
 */
export function reportOutages(redis: RedisConnection, command: string): () => void {
  let down = false;
  let closing = false;
  redis.on('close', () => {
    if (closing || down) return;
    down = true;
    console.error(`aaclip ${command}: lost the Redis connection; waiting for it to come back`);
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    console.error(`aaclip ${command}: Redis connection back`);
  });
  return () => {
    closing = true;
  };
}

/** Checks --redis and --queue (falling back to `defaults`) and opens the queue. */
export async function openQueue(values: { redis?: string; queue?: string }, command: string, defaults: { redis?: string; queue?: string } = {}): Promise<QueueConnection> {
  const url = values.redis ?? defaults.redis;
  const name = values.queue ?? defaults.queue;
  if (!url) throw new AaclipError('is required', '--redis');
  if (!name) throw new AaclipError('is required', '--queue');
  checkQueueName(name, '--queue');
  const redis = await connectRedis(url, '--redis');
  const queue = openScoringQueue(redis, name, '--queue');
  const quiet = reportOutages(redis, command);
  return {
    redis,
    queue,
    url,
    name,
    async close() {
      quiet();
      await queue.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
