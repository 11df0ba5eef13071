import { AaclipError } from '@aaclip/core';
import { readRegularFile } from '@aaclip/node-io';
import type { JobsOptions } from 'bullmq';
import type { ScoringQueue } from './queue.js';
import { MAX_JOB_IMAGE_BYTES, SCORING_JOB_NAME, scoringJobId, type ExpectedSettings, type ScoringJobData } from './scoringJob.js';

export interface SubmitOptions {
  /** The object named in the prompts (default "object"). */
  readonly className?: string;
  /** Tries per image before it is listed as failed (default 3). */
  readonly attempts?: number;
  /** Wait before the first retry in ms, doubled for each further one (default 1000). */
  readonly backoffMs?: number;
  /** Settings every result must be made with (workers with others refuse the jobs). */
  readonly expect?: ExpectedSettings;
  /** Reads an image file (default: a regular file, as detect reads it). */
  readonly readImage?: (source: string) => Promise<Uint8Array>;
  /** Called after each image is read and queued. */
  readonly onProgress?: (done: number, total: number, source: string) => void;
}

export interface SubmittedImage {
  readonly source: string;
  readonly jobId: string;
}

export interface SubmitReport {
  /** The images that are in the queue now, in the order given, each with its job. */
  readonly images: SubmittedImage[];
  /** Jobs this call added. */
  readonly added: number;
  /** Images whose job was already queued, running or done (from an earlier submission or a repeat). */
  readonly existing: number;
  /** Images whose job had failed before and was put back to be tried again. */
  readonly retried: number;
  /** Images that could not be read (one line each, naming the file). */
  readonly failures: string[];
}

/** Images read and queued together (a round trip per group rather than per image). */
const GROUP_SIZE = 32;

/**
 * Adds one job per image to `queue`, its id the hash of the class name and the file's bytes. An
 * image whose job is already in the queue adds nothing (BullMQ ignores an add with an existing
 * job id); one whose job had failed is tried again. Unreadable files are listed, not queued.
 */
export async function submitImages(queue: ScoringQueue, sources: readonly string[], options: SubmitOptions = {}): Promise<SubmitReport> {
  const className = options.className ?? 'object';
  const attempts = options.attempts ?? 3;
  const backoffMs = options.backoffMs ?? 1000;
  const readImage = options.readImage ?? ((source: string) => readRegularFile(source, 'image'));
  const jobOptions: JobsOptions = {
    attempts,
    backoff: { type: 'exponential', delay: backoffMs },
    // Finished jobs stay: their results are what submit and collect read, and their ids keep a
    // resubmission from adding the images again.
    removeOnComplete: false,
    removeOnFail: false,
  };
  const images: SubmittedImage[] = [];
  const failures: string[] = [];
  let added = 0;
  let existing = 0;
  let retried = 0;
  for (let start = 0; start < sources.length; start += GROUP_SIZE) {
    const group: { source: string; jobId: string; data: ScoringJobData }[] = [];
    for (const source of sources.slice(start, start + GROUP_SIZE)) {
      try {
        const bytes = await readImage(source);
        if (bytes.byteLength > MAX_JOB_IMAGE_BYTES) {
          throw new AaclipError(`is ${bytes.byteLength} bytes; a queued image may be at most ${MAX_JOB_IMAGE_BYTES} bytes`, source);
        }
        const image = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
        const data: ScoringJobData = { className, source, image, ...(options.expect ? { expect: options.expect } : {}) };
        group.push({ source, jobId: scoringJobId(className, bytes, options.expect), data });
      } catch (err) {
        if (!(err instanceof AaclipError)) throw err;
        failures.push(err.message);
      }
    }
    const states = await Promise.all(group.map((g) => queue.getJobState(g.jobId)));
    const fresh = group.filter((_, i) => states[i] === 'unknown');
    // An image given twice in one group is added once.
    const unique = [...new Map(fresh.map((g) => [g.jobId, g])).values()];
    if (unique.length > 0) await queue.addBulk(unique.map((g) => ({ name: SCORING_JOB_NAME, data: g.data, opts: { ...jobOptions, jobId: g.jobId } })));
    added += unique.length;
    existing += group.length - unique.length;
    for (let i = 0; i < group.length; i++) {
      if (states[i] !== 'failed') continue;
      const job = await queue.getJob(group[i]!.jobId);
      // Back to waiting, with all its tries again.
      if (job && (await job.getState()) === 'failed') {
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        retried++;
      }
    }
    for (const g of group) images.push({ source: g.source, jobId: g.jobId });
    options.onProgress?.(Math.min(start + GROUP_SIZE, sources.length), sources.length, group.at(-1)?.source ?? '');
  }
  return { images, added, existing, retried, failures };
}
