import { AaclipError, toRgb8, type Detection, type Rgb8Image, type RawImage } from '@aaclip/core';
import { decodeImageBytes } from '@aaclip/node-io';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { DetectBatcher, type ImageDetector } from './detectBatcher.js';
import { checkQueueName } from './queue.js';
import { encodeMap, parseJobData, type ScoringJobData, type ScoringResult } from './scoringJob.js';

export interface ScoringWorkerOptions {
  /** A connection from connectRedis. */
  readonly connection: Redis;
  /** The queue's name. */
  readonly queue: string;
  /** Scores the images (an AnomalyDetector). */
  readonly detector: ImageDetector;
  /** Jobs taken at once (default 1); with more, images are decoded while the model runs. */
  readonly concurrency?: number;
  /** Images per detector call, from the jobs in flight (default 1). */
  readonly batchSize?: number;
  /**
   * How long a job's lock lasts without renewal, in ms (default 30000). A worker renews the locks
   * of its jobs at half this; a worker that dies leaves its job locked until the lock runs out.
   */
  readonly lockDurationMs?: number;
  /** How often the worker looks for jobs whose lock ran out (stalled) and puts them back, in ms (default 30000). */
  readonly stalledIntervalMs?: number;
  /** Called when a job is scored. */
  readonly onScored?: (job: { id: string; source: string }, detection: Detection) => void;
  /** Called with errors of the worker itself (mostly Redis connection errors, which it rides out). */
  readonly onError?: (error: Error) => void;
  /** Called when a try of a job fails (it may be tried again). */
  readonly onFailed?: (job: { id: string; source: string; attemptsMade: number; attempts: number }, error: string) => void;
}

export interface ScoringWorker {
  /** Stops taking jobs and waits for those in flight to finish. */
  close(): Promise<void>;
}

const rgbImage = ({ width, height, data }: Rgb8Image): RawImage => ({ width, height, channels: 3, bitDepth: 8, data });

/**
 * Takes jobs from the queue and scores them: the image from the job decoded as detect decodes a
 * file, scored by the detector, the result checked finite and returned as the job's result. A try
 * that fails throws, and BullMQ tries again with backoff until the job's tries are used up.
 */
export function startScoringWorker(options: ScoringWorkerOptions): ScoringWorker {
  const batcher = new DetectBatcher(options.detector, options.batchSize ?? 1);
  const score = async (job: Job<ScoringJobData, ScoringResult>): Promise<ScoringResult> => {
    const id = job.id!;
    let data: ScoringJobData;
    try {
      data = parseJobData(job.data, id);
    } catch (err) {
      // Trying again cannot mend a job that is not ours.
      throw new UnrecoverableError((err as Error).message);
    }
    const own = options.detector.settings;
    if (data.expect && own && (data.expect.imageSize !== own.imageSize || data.expect.domain !== own.domain)) {
      // Another worker on the queue may have the settings asked for; this one never will.
      const reason = `the job asks for image size ${data.expect.imageSize}, domain ${data.expect.domain}; this worker scores at image size ${own.imageSize}, domain ${own.domain} (start workers with the submitter's model flags)`;
      options.onFailed?.({ id, source: data.source, attemptsMade: job.attemptsMade + 1, attempts: job.opts.attempts ?? 1 }, reason);
      throw new Error(reason);
    }
    try {
      const bytes = Buffer.from(data.image, 'base64');
      const image = rgbImage(toRgb8(await decodeImageBytes(bytes, data.source), data.source));
      const detection = await batcher.detect(image, data.className);
      const problem = nonFiniteResult(detection);
      if (problem) throw new AaclipError(problem, data.source);
      options.onScored?.({ id, source: data.source }, detection);
      return { imageScore: detection.imageScore, pixelMax: detection.pixelMax, imageSize: detection.imageSize, map: encodeMap(detection.anomalyMap) };
    } catch (err) {
      // The job's failure reason is the problem alone: the submitter names the image its own way.
      const reason = err instanceof AaclipError ? err.problem : err instanceof Error ? err.message.split('\n')[0]! : String(err);
      options.onFailed?.({ id, source: data.source, attemptsMade: job.attemptsMade + 1, attempts: job.opts.attempts ?? 1 }, reason);
      throw new Error(reason);
    }
  };
  const name = checkQueueName(options.queue);
  let closing = false;
  let current: Worker<ScoringJobData, ScoringResult> | null = null;
  // BullMQ's worker loop rides out Redis outages once it runs, but one that starts while Redis is
  // away (its blocking connection cannot be set up) ends for good: then a fresh worker is started.
  const running = (async () => {
    while (!closing) {
      const worker = new Worker<ScoringJobData, ScoringResult>(name, score, {
        connection: options.connection,
        concurrency: options.concurrency ?? 1,
        lockDuration: options.lockDurationMs ?? 30_000,
        stalledInterval: options.stalledIntervalMs ?? 30_000,
        maxStalledCount: MAX_STALLED_COUNT,
        autorun: false,
      });
      // Connection errors while Redis is away are retried by the client and BullMQ.
      worker.on('error', (err) => options.onError?.(err));
      current = worker;
      try {
        await worker.run();
      } catch (err) {
        options.onError?.(err instanceof Error ? err : new Error(String(err)));
      }
      if (closing) return;
      await worker.close(true).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, RESTART_DELAY_MS));
    }
  })();
  return {
    async close() {
      closing = true;
      await current?.close();
      await running;
    },
  };
}

/**
 * Hand-overs of a job whose worker stopped renewing its lock before it fails with "job stalled more
 * than allowable limit": enough for a lost worker and a Redis restart in one run, few enough that an
 * image that kills every worker that takes it (out of memory, say) does not go round for ever.
 */
const MAX_STALLED_COUNT = 2;

/** Pause before a worker whose loop ended is started again. */
const RESTART_DELAY_MS = 1000;

/** Why a detection cannot be reported, or null (the same rule as detect: scores.json has no NaN). */
function nonFiniteResult(detection: Detection): string | null {
  const badMap = detection.anomalyMap.some((v) => !Number.isFinite(v));
  if (Number.isFinite(detection.imageScore) && Number.isFinite(detection.pixelMax) && !badMap) return null;
  return `the model gave a non-finite result (image_score=${detection.imageScore}, pixel_max=${detection.pixelMax}${badMap ? ', non-finite map values' : ''}); are the weights finite?`;
}
