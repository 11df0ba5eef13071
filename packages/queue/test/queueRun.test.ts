// Submit, worker and results against a real Redis server, the worker in this process scoring with
// the fixture model. The worker processes of the CLI, and one killed mid-job, are in e2e/.
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnomalyDetector, toRgb8, type RawImage } from '@aaclip/core';
import { decodeImageFile } from '@aaclip/backend-node';
import { maxAbsError } from '@aaclip/core/testing';
import { fixtureFile } from '../../../test-support/fixture.js';
import { fixtureDetector } from '../../../test-support/fixtureDetector.js';
import { redisMissing, startRedisServer, type RedisServer } from '../../../test-support/redisServer.js';
import { connectRedis, openScoringQueue, readOutcomes, startScoringWorker, submitImages, waitForJobs, type RedisConnection, type ScoringWorker } from '../src/index.js';

const CLASS = 'dark bottle';
const IMAGES = ['img0.png', 'img1.png', 'img2.png'].map((f) => fixtureFile(`images/${f}`));
// The same image scored one by one or in a batch of two may round differently in the last bits.
const MAP_TOL = 1e-5;

if (redisMissing) console.warn(`queueRun.test.ts: ${redisMissing}`);

describe.skipIf(redisMissing !== null)('scoring on a queue (real Redis, fixture model)', () => {
  let redis: RedisServer;
  let connection: RedisConnection;
  let detector: AnomalyDetector;
  let work: string;
  const workers: ScoringWorker[] = [];

  beforeAll(async () => {
    [redis, work, detector] = await Promise.all([
      startRedisServer(),
      mkdtemp(path.join(os.tmpdir(), 'aaclip-queue-')),
      fixtureDetector(),
    ]);
    connection = await connectRedis(redis.url);
  });

  afterAll(async () => {
    for (const w of workers) await w.close();
    await connection?.quit();
    await detector?.dispose();
    await redis?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const startWorker = (queue: string, options: { concurrency?: number; batchSize?: number; failures?: string[] } = {}) => {
    const w = startScoringWorker({
      connection,
      queue,
      detector,
      concurrency: options.concurrency,
      batchSize: options.batchSize,
      // Short locks: a job whose hand-over a Redis restart cut off is taken again within seconds.
      lockDurationMs: 3000,
      stalledIntervalMs: 500,
      onFailed: (job, error) => options.failures?.push(`${job.source}: ${error}`),
    });
    workers.push(w);
    return w;
  };

  const expected = async (file: string) => {
    const raw: RawImage = await decodeImageFile(file);
    const rgb = toRgb8(raw, file);
    return (await detector.detect([{ width: rgb.width, height: rgb.height, channels: 3, bitDepth: 8, data: rgb.data }], CLASS))[0]!;
  };

  it('scores each distinct image once, as the detector does, and a resubmission adds nothing', async () => {
    const copy = path.join(work, 'same-as-img0.png');
    await copyFile(IMAGES[0]!, copy);
    const queue = openScoringQueue(connection, 'basic');
    try {
      const first = await submitImages(queue, [...IMAGES, copy], { className: CLASS });
      expect(first).toMatchObject({ added: 3, existing: 1, retried: 0, failures: [] });
      expect(first.images[3]!.jobId).toBe(first.images[0]!.jobId);
      const worker = startWorker('basic', { concurrency: 2, batchSize: 2 });
      await waitForJobs(queue, first.images.map((i) => i.jobId), { pollMs: 50 });
      const outcomes = await readOutcomes(queue, first.images.map((i) => i.jobId));
      for (const [i, file] of [...IMAGES, copy].entries()) {
        const outcome = outcomes.get(first.images[i]!.jobId)!;
        expect(outcome.state).toBe('completed');
        if (outcome.state !== 'completed') continue;
        const want = await expected(file);
        expect(outcome.imageSize).toBe(48);
        expect(maxAbsError(outcome.anomalyMap, want.anomalyMap)).toBeLessThan(MAP_TOL);
        expect(Math.abs(outcome.imageScore - want.imageScore)).toBeLessThan(MAP_TOL);
        expect(outcome.pixelMax).toBe(Math.max(...outcome.anomalyMap));
      }
      expect(await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed')).toMatchObject({ completed: 3, failed: 0, waiting: 0, active: 0, delayed: 0 });

      const again = await submitImages(queue, [...IMAGES, copy], { className: CLASS });
      expect(again).toMatchObject({ added: 0, existing: 4, retried: 0 });
      expect(again.images.map((i) => i.jobId)).toEqual(first.images.map((i) => i.jobId));
      expect(await queue.getJobCounts('completed', 'waiting', 'active')).toMatchObject({ completed: 3, waiting: 0, active: 0 });
      // Another class name is another job.
      const other = await submitImages(queue, [IMAGES[0]!], { className: 'screw' });
      expect(other.added).toBe(1);
      await worker.close();
    } finally {
      await queue.close();
    }
  });

  it('tries a failing image again with backoff, then lists it as failed with its error; the rest complete', async () => {
    const corrupt = path.join(work, 'corrupt.png');
    const png = await readFile(IMAGES[1]!);
    await writeFile(corrupt, png.subarray(0, 60)); // a PNG cut off inside its first chunks
    const queue = openScoringQueue(connection, 'failing');
    const failures: string[] = [];
    try {
      const report = await submitImages(queue, [corrupt, IMAGES[2]!], { className: CLASS, attempts: 3, backoffMs: 40 });
      startWorker('failing', { failures });
      await waitForJobs(queue, report.images.map((i) => i.jobId), { pollMs: 50 });
      const outcomes = await readOutcomes(queue, report.images.map((i) => i.jobId));
      const bad = outcomes.get(report.images[0]!.jobId)!;
      expect(bad.state).toBe('failed');
      expect(bad.state === 'failed' && bad.error).toMatch(/^not a readable image \(.+\) \(after 3 tries\)$/);
      expect(failures.filter((f) => f.startsWith(corrupt))).toHaveLength(3);
      expect(outcomes.get(report.images[1]!.jobId)!.state).toBe('completed');
      // A resubmission puts the failed image back for another round of tries.
      const again = await submitImages(queue, [corrupt, IMAGES[2]!], { className: CLASS, attempts: 3, backoffMs: 40 });
      expect(again).toMatchObject({ added: 0, existing: 2, retried: 1 });
      await waitForJobs(queue, [again.images[0]!.jobId], { pollMs: 50 });
      expect(failures.filter((f) => f.startsWith(corrupt))).toHaveLength(6);
    } finally {
      await queue.close();
    }
  });

  it('goes on after a Redis restart: queued jobs kept (append-only file), each result counted once', async () => {
    const queue = openScoringQueue(connection, 'restart');
    const copies = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        // Distinct bytes (a text chunk would do; appending after IEND is ignored by decoders) so each is a job.
        const file = path.join(work, `restart-${i}.png`);
        await writeFile(file, Buffer.concat([await readFile(IMAGES[i % 3]!), Buffer.from(`extra-${i}`)]));
        return file;
      }),
    );
    try {
      const report = await submitImages(queue, copies.slice(0, 3), { className: CLASS });
      await redis.restart();
      // The same connection, reconnected.
      const more = await submitImages(queue, copies.slice(3), { className: CLASS });
      const worker = startWorker('restart');
      const ids = [...report.images, ...more.images].map((i) => i.jobId);
      const waiting = waitForJobs(queue, ids, { pollMs: 50 });
      await redis.restart();
      await waiting;
      const outcomes = await readOutcomes(queue, ids);
      expect([...outcomes.values()].map((o) => o.state)).toEqual(Array(6).fill('completed'));
      expect(await queue.getJobCounts('completed', 'failed', 'waiting', 'active')).toMatchObject({ completed: 6, failed: 0, waiting: 0, active: 0 });
      await worker.close();
    } finally {
      await queue.close();
    }
  });
});
