import { AaclipError } from '@aaclip/core';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ScoringJobData, ScoringResult } from './scoringJob.js';

/** A queue of scoring jobs (BullMQ's Queue). */
export type ScoringQueue = Queue<ScoringJobData, ScoringResult>;
/** A connection to Redis (ioredis's client), as connectRedis opens it. */
export type RedisConnection = Redis;

/** BullMQ refuses ":" in queue names (it separates the parts of Redis keys). */
const QUEUE_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** Checks a queue name; `what` names the setting in errors. */
export function checkQueueName(name: string, what = 'queue name'): string {
  if (!QUEUE_NAME.test(name)) throw new AaclipError(`expected 1–128 letters, digits, "_", "-" or ".", got "${name}"`, what);
  return name;
}

/** The queue `name` on the connection, for submitting and reading results. */
export function openScoringQueue(connection: Redis, name: string, what = 'queue name'): Queue<ScoringJobData, ScoringResult> {
  return new Queue<ScoringJobData, ScoringResult>(checkQueueName(name, what), { connection });
}
