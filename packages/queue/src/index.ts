// `@aaclip/queue`: batch scoring spread over worker processes on many machines, on BullMQ and Redis.
// submitImages adds one job per image (id: content hash), startScoringWorker scores them with a
// detector, waitForJobs/readOutcomes gather the results.
export { connectRedis, redactedUrl, CONNECT_TIMEOUT_MS } from './connection.js';
export { submitImages, type SubmitOptions, type SubmitReport, type SubmittedImage } from './submit.js';
export { startScoringWorker, type ScoringWorker, type ScoringWorkerOptions } from './worker.js';
export { DetectBatcher, type ImageDetector } from './detectBatcher.js';
export { waitForJobs, readOutcomes, type JobOutcome, type ScoredOutcome, type FailedOutcome, type WaitOptions } from './results.js';
export { scoringJobId, encodeMap, decodeMap, SCORING_JOB_NAME, MAX_JOB_IMAGE_BYTES, type ScoringJobData, type ScoringResult, type ExpectedSettings } from './scoringJob.js';
export { openScoringQueue, checkQueueName } from './queue.js';
export type { ScoringQueue, RedisConnection } from './queue.js';
