// aaclip eval --queue: the scoring done by a worker on a real Redis queue (in this process, with
// the fixture model), the evaluation's files the same as without a queue.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnomalyDetector } from '@aaclip/core';
import { connectRedis, startScoringWorker, type RedisConnection, type ScoringWorker } from '@aaclip/queue';
import { aaclip } from './runCli.js';
import { FIXTURE_MODEL_FLAGS } from '../../../test-support/fixture.js';
import { fixtureDetector } from '../../../test-support/fixtureDetector.js';
import { redisMissing, startRedisServer, type RedisServer } from '../../../test-support/redisServer.js';


/** A 32×32 picture: a seed-dependent gradient, with a bright square where the defect is (and its mask). */
async function writePicture(file: string, seed: number, defect: number | null): Promise<void> {
  const w = 32;
  const data = Buffer.alloc(w * w * 3);
  for (let p = 0; p < w * w; p++) {
    const x = p % w;
    const y = Math.floor(p / w);
    const inDefect = defect !== null && x >= defect && x < defect + 8 && y >= defect && y < defect + 8;
    data.set(inDefect ? [250, 240, 30] : [(x * 5 + seed * 37) % 200, (y * 4 + seed * 11) % 180, 90 + ((seed * 23) % 60)], p * 3);
  }
  await mkdir(path.dirname(file), { recursive: true });
  await sharp(data, { raw: { width: w, height: w, channels: 3 } }).png().toFile(file);
  if (defect === null) return;
  const mask = Buffer.alloc(w * w);
  for (let y = defect; y < defect + 8; y++) mask.fill(255, y * w + defect, y * w + defect + 8);
  const maskFile = file.replace('/test/broken/', '/ground_truth/broken/').replace('.png', '_mask.png');
  await mkdir(path.dirname(maskFile), { recursive: true });
  await sharp(mask, { raw: { width: w, height: w, channels: 1 } }).png().toFile(maskFile);
}

if (redisMissing) console.warn(`evalQueue.test.ts: ${redisMissing}`);

describe.skipIf(redisMissing !== null)('aaclip eval --queue', () => {
  let redis: RedisServer;
  let connection: RedisConnection;
  let detector: AnomalyDetector;
  let worker: ScoringWorker;
  let work: string;
  let root: string;
  const workerFailures: string[] = [];
  let scored = 0;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-eval-queue-'));
    root = path.join(work, 'mvtec');
    for (const [c, cls] of ['bottle', 'cable'].entries()) {
      await writePicture(path.join(root, cls, 'train/good/000.png'), 50 + c, null);
      for (let i = 0; i < 3; i++) {
        await writePicture(path.join(root, cls, `test/good/00${i}.png`), 10 * c + i, null);
        await writePicture(path.join(root, cls, `test/broken/00${i}.png`), 10 * c + i + 5, 4 + 6 * i);
      }
    }
    redis = await startRedisServer();
    connection = await connectRedis(redis.url);
    detector = await fixtureDetector({ domain: 'industrial' });
    worker = startScoringWorker({ connection, queue: 'eval', detector, onScored: () => scored++, onFailed: (job, error) => workerFailures.push(`${job.source}: ${error}`) });
  });

  afterAll(async () => {
    await worker?.close();
    await connection?.quit();
    await detector?.dispose();
    await redis?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('gives the metrics of a local evaluation', async () => {
    const local = await aaclip('eval', '--dataset', 'mvtec', '--root', root, ...FIXTURE_MODEL_FLAGS, '--gallery', '0', '--out', path.join(work, 'local'));
    expect(local.code).toBe(0);
    const queued = await aaclip('eval', '--dataset', 'mvtec', '--root', root, ...FIXTURE_MODEL_FLAGS, '--gallery', '0', '--redis', redis.url, '--queue', 'eval', '--out', path.join(work, 'queued'));
    expect(queued.stderr).toBe('');
    expect(queued.code).toBe(0);
    const metrics = async (dir: string) => JSON.parse(await readFile(path.join(work, dir, 'metrics.json'), 'utf8')) as unknown;
    expect(await metrics('queued')).toEqual(await metrics('local'));
    expect(workerFailures).toEqual([]);
    // Scored by the worker: the 12 test images, once each.
    expect(scored).toBe(12);
  });

  it('fails the images a worker with other settings refuses, saying why', async () => {
    const run = await aaclip('eval', '--dataset', 'mvtec', '--root', root, ...FIXTURE_MODEL_FLAGS, '--domain', 'medical', '--classes', 'bottle', '--redis', redis.url, '--queue', 'eval', '--attempts', '1', '--out', path.join(work, 'medical'));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the job asks for image size 48, domain medical; this worker scores at image size 48, domain industrial');
    expect(workerFailures.length).toBe(6);
  });
});
