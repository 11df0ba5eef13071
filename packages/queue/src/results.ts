import type { ScoringQueue } from './queue.js';
import { parseResult, decodeMap } from './scoringJob.js';

/** A scored image's result, its map unpacked. */
export interface ScoredOutcome {
  readonly state: 'completed';
  readonly imageScore: number;
  readonly pixelMax: number;
  readonly imageSize: number;
  readonly anomalyMap: Float32Array;
}

/** An image that failed every try (or whose job is gone); `error` is the last try's message. */
export interface FailedOutcome {
  readonly state: 'failed';
  readonly error: string;
}

export type JobOutcome = ScoredOutcome | FailedOutcome;

export interface WaitOptions {
  /** How often the jobs' states are read, in ms (default 250). */
  readonly pollMs?: number;
  /** Called after each look, with the number of jobs that have finished (scored or failed). */
  readonly onProgress?: (finished: number, total: number) => void;
  /** Stop waiting early (e.g. on Ctrl-C); the jobs go on in the queue. */
  readonly signal?: AbortSignal;
}

/** Jobs whose state is read together in one look. */
const LOOK_GROUP = 256;

const FINISHED = new Set(['completed', 'failed', 'unknown']);

/**
 * Waits until every job has finished: scored, failed its last try, or gone from the queue. The
 * states are polled, which survives a Redis restart (the client reconnects and the next look goes on).
 */
export async function waitForJobs(queue: ScoringQueue, jobIds: readonly string[], options: WaitOptions = {}): Promise<void> {
  const pollMs = options.pollMs ?? 250;
  let pending = [...new Set(jobIds)];
  const total = pending.length;
  for (;;) {
    const still: string[] = [];
    for (let start = 0; start < pending.length; start += LOOK_GROUP) {
      const group = pending.slice(start, start + LOOK_GROUP);
      const states = await Promise.all(group.map((id) => queue.getJobState(id)));
      group.forEach((id, i) => {
        if (!FINISHED.has(states[i]!)) still.push(id);
      });
    }
    pending = still;
    options.onProgress?.(total - pending.length, total);
    if (pending.length === 0) return;
    if (options.signal?.aborted) throw options.signal.reason;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * The outcome of each finished job, by job id; jobs still waiting or running are left out. A job
 * that is gone (removed from the queue) counts as failed, saying so.
 */
export async function readOutcomes(queue: ScoringQueue, jobIds: readonly string[]): Promise<Map<string, JobOutcome>> {
  const outcomes = new Map<string, JobOutcome>();
  const ids = [...new Set(jobIds)];
  for (let start = 0; start < ids.length; start += LOOK_GROUP) {
    const group = ids.slice(start, start + LOOK_GROUP);
    const jobs = await Promise.all(group.map((id) => queue.getJob(id)));
    const states = await Promise.all(jobs.map((job) => job?.getState() ?? Promise.resolve('unknown')));
    group.forEach((id, i) => {
      const job = jobs[i];
      const state = states[i];
      if (!job || state === 'unknown') {
        outcomes.set(id, { state: 'failed', error: `job ${id} is no longer in the queue (removed?); submit the image again` });
      } else if (state === 'completed') {
        const result = parseResult(job.returnvalue, id);
        outcomes.set(id, { state: 'completed', imageScore: result.imageScore, pixelMax: result.pixelMax, imageSize: result.imageSize, anomalyMap: decodeMap(result.map, result.imageSize, id) });
      } else if (state === 'failed') {
        outcomes.set(id, { state: 'failed', error: `${job.failedReason || 'failed'} (after ${job.attemptsMade} tries)` });
      }
    });
  }
  return outcomes;
}
