// aaclip submit and collect in this process against a real Redis server, with a worker (also in
// this process) scoring on the fixture model; the worker processes and a killed worker are in
// packages/queue/test/e2e. Flag errors need no server.
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnomalyDetector } from '@aaclip/core';
import { connectRedis, startScoringWorker, type RedisConnection, type ScoringWorker } from '@aaclip/queue';
import { aaclip } from './runCli.js';
import { FIXTURE_MODEL_FLAGS, fixtureFile } from '../../../test-support/fixture.js';
import { fixtureDetector } from '../../../test-support/fixtureDetector.js';
import { redisMissing, startRedisServer, type RedisServer } from '../../../test-support/redisServer.js';

const IMAGES = ['img0.png', 'img1.png', 'img2.png'].map((f) => fixtureFile(`images/${f}`));

describe('queue commands: flags', () => {
  it('name the missing or malformed flag', async () => {
    expect((await aaclip('submit', '--queue', 'q', '--out', '/tmp/x', IMAGES[0]!)).stderr).toBe('aaclip submit: --redis: is required');
    expect((await aaclip('submit', '--redis', 'redis://127.0.0.1:1', '--queue', 'q', IMAGES[0]!)).stderr).toBe('aaclip submit: --out: is required');
    expect((await aaclip('submit', '--redis', 'redis://127.0.0.1:1', '--queue', 'a:b', '--out', '/tmp/x', IMAGES[0]!)).stderr).toBe('aaclip submit: --queue: expected 1–128 letters, digits, "_", "-" or ".", got "a:b"');
    expect((await aaclip('submit', '--redis', 'redis://127.0.0.1:1', '--queue', 'q', '--attempts', '0', '--out', '/tmp/x', IMAGES[0]!)).stderr).toBe('aaclip submit: --attempts: expected a positive integer, got "0"');
    expect((await aaclip('worker', '--queue', 'q', ...FIXTURE_MODEL_FLAGS)).stderr).toBe('aaclip worker: --redis: is required');
    expect((await aaclip('worker', '--redis', 'http://x', '--queue', 'q', ...FIXTURE_MODEL_FLAGS)).stderr).toBe('aaclip worker: --redis: expected a redis:// or rediss:// URL, got "http://x"');
    expect((await aaclip('collect', '--out', '/nonexistent/run')).stderr).toBe('aaclip collect: /nonexistent/run/submission.json: not found: collect reads the folder that `aaclip submit --out` wrote');
    const refused = await aaclip('submit', '--redis', 'redis://127.0.0.1:1', '--queue', 'q', '--out', path.join(os.tmpdir(), 'aaclip-unreached'), IMAGES[0]!);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^aaclip submit: --redis: cannot reach the Redis server at redis:\/\/127\.0\.0\.1:1 \(connect ECONNREFUSED 127\.0\.0\.1:1\)$/);
  });
});

if (redisMissing) console.warn(`queueCommands.test.ts: ${redisMissing}`);

describe.skipIf(redisMissing !== null)('aaclip submit and collect on a real Redis', () => {
  let redis: RedisServer;
  let connection: RedisConnection;
  let detector: AnomalyDetector;
  let worker: ScoringWorker;
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-submit-'));
    redis = await startRedisServer();
    connection = await connectRedis(redis.url);
    detector = await fixtureDetector();
    worker = startScoringWorker({ connection, queue: 'cli', detector });
  });

  afterAll(async () => {
    await worker?.close();
    await connection?.quit();
    await detector?.dispose();
    await redis?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('writes the scores.json and maps.safetensors of aaclip detect; --no-wait then collect reads the same', async () => {
    const copy = path.join(work, 'again.png');
    await copyFile(IMAGES[1]!, copy); // the same bytes: one job, two entries
    const inputs = [...IMAGES, copy];
    const detect = await aaclip('detect', ...FIXTURE_MODEL_FLAGS, '--class-name', 'dark bottle', '--out', path.join(work, 'detect'), ...inputs);
    expect(detect.code).toBe(0);
    const submit = await aaclip('submit', '--redis', redis.url, '--queue', 'cli', '--class-name', 'dark bottle', '--out', path.join(work, 'submit'), ...inputs);
    expect(submit.stderr).toBe('aaclip submit: 4 images on queue cli: 3 new, 1 already queued or done');
    expect(submit.code).toBe(0);
    expect(submit.stdout).toBe(detect.stdout);
    for (const file of ['scores.json', 'maps.safetensors']) {
      expect(await readFile(path.join(work, 'submit', file)), file).toEqual(await readFile(path.join(work, 'detect', file)));
    }
    const noWait = await aaclip('submit', '--redis', redis.url, '--queue', 'cli', '--class-name', 'dark bottle', '--no-wait', '--out', path.join(work, 'later'), ...inputs);
    expect(noWait.code).toBe(0);
    expect(noWait.stderr).toContain('4 images on queue cli: 0 new, 4 already queued or done');
    expect(noWait.stderr).toContain(`\`aaclip collect --out ${path.join(work, 'later')}\` writes the results`);
    const collect = await aaclip('collect', '--out', path.join(work, 'later'));
    expect(collect.code).toBe(0);
    expect(await readFile(path.join(work, 'later', 'maps.safetensors'))).toEqual(await readFile(path.join(work, 'detect', 'maps.safetensors')));
    const submission = JSON.parse(await readFile(path.join(work, 'later', 'submission.json'), 'utf8')) as { queue: string; images: { image: string; job: string }[] };
    expect(submission.queue).toBe('cli');
    expect(submission.images.map((i) => i.image)).toEqual(inputs);
    expect(submission.images[3]!.job).toBe(submission.images[1]!.job);
  });
});
