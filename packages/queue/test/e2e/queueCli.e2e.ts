// aaclip worker / submit / collect as real processes against a real Redis server, on the fixture
// model: two workers, one killed with SIGKILL while it holds a job; every image is scored once in
// the results, with the maps `aaclip detect` gives; a resubmission adds nothing; a corrupt image is
// listed as failed and the rest complete. Slow (each process loads the CLI and the model), so e2e.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '@aaclip/core';
import { connectRedis, openScoringQueue } from '../../src/index.js';
import { aaclip } from '../../../cli/test/runCli.js';
import { FIXTURE_MODEL_FLAGS, fixtureFile, repoRoot } from '../../../../test-support/fixture.js';
import { redisMissing, startRedisServer, type RedisServer } from '../../../../test-support/redisServer.js';

const CLASS = 'dark bottle';
// Short locks so that the killed worker's job is taken again within seconds.
const WORKER_FLAGS = ['--lock-duration', '2000', '--stalled-interval', '500'];
const IMAGE_COUNT = 12;

interface Proc {
  readonly child: ChildProcess;
  out: string;
  err: string;
  readonly exited: Promise<number | string>;
}

/** `aaclip <args>` as a child process, run from the TypeScript sources. */
function start(args: readonly string[]): Proc {
  const child = spawn(process.execPath, ['--conditions=@aaclip/source', path.join(repoRoot, 'test-support/aaclipFromSource.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc: Proc = { child, out: '', err: '', exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1))) };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (proc.out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (proc.err += d));
  return proc;
}

async function until(what: string, test: () => boolean, proc: Proc, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`process ended before ${what}; stderr: ${proc.err.slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; stderr: ${proc.err.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const scoredLines = (p: Proc) => p.out.split('\n').filter((l) => l.includes('\tjob='));

if (redisMissing) console.warn(`queueCli.e2e.ts: ${redisMissing}`);

describe.skipIf(redisMissing !== null)('aaclip worker/submit/collect processes on a real Redis', () => {
  let redis: RedisServer;
  let work: string;
  let images: string[];
  const workers: Proc[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-queue-e2e-'));
    // Large, distinct images: decoding one takes a while, so a worker is killed while it holds a job.
    images = await Promise.all(
      Array.from({ length: IMAGE_COUNT }, async (_, i) => {
        const file = path.join(work, `part-${String(i).padStart(2, '0')}.png`);
        await sharp(fixtureFile(`images/img${i % 3}.png`)).resize(1200 + i, 1100).png({ compressionLevel: 9 }).toFile(file);
        return file;
      }),
    );
  });

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await redis?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('scores every image once with detect\'s maps though a worker is killed mid-run; a resubmission adds nothing', async () => {
    const a = start(['worker', '--redis', redis.url, '--queue', 'parts', ...WORKER_FLAGS, ...FIXTURE_MODEL_FLAGS]);
    const b = start(['worker', '--redis', redis.url, '--queue', 'parts', ...WORKER_FLAGS, ...FIXTURE_MODEL_FLAGS]);
    workers.push(a, b);
    await Promise.all([until('worker A ready', () => a.err.includes('ready on queue parts'), a), until('worker B ready', () => b.err.includes('ready on queue parts'), b)]);

    const out = path.join(work, 'run1');
    const submit = start(['submit', '--redis', redis.url, '--queue', 'parts', '--class-name', CLASS, '--out', out, ...images]);
    // A prints a line once it has scored an image and moves straight on to the next job: kill it then.
    await until('a job scored by worker A', () => scoredLines(a).length >= 1, a);
    a.child.kill('SIGKILL');
    expect(await a.exited).toBe('SIGKILL');
    expect(await submit.exited).toBe(0);

    const scores = JSON.parse(await readFile(path.join(out, 'scores.json'), 'utf8')) as { image: string; image_score: number; pixel_max: number }[];
    expect(scores.map((s) => s.image)).toEqual(images);
    // Scored once in the results: one completed job per image, and the killed worker's job re-delivered.
    const connection = await connectRedis(redis.url);
    const queue = openScoringQueue(connection, 'parts');
    try {
      expect(await queue.getJobCounts('completed', 'failed', 'active', 'waiting')).toMatchObject({ completed: IMAGE_COUNT, failed: 0, active: 0, waiting: 0 });
      const submission = JSON.parse(await readFile(path.join(out, 'submission.json'), 'utf8')) as { images: { image: string; job: string }[] };
      const jobs = await Promise.all(submission.images.map((i) => queue.getJob(i.job)));
      const stalled = jobs.filter((j) => (j?.stalledCounter ?? 0) > 0);
      expect(stalled.length).toBeGreaterThanOrEqual(1);
      // The re-delivered job was finished by worker B.
      for (const job of stalled) expect(scoredLines(b).some((l) => l.endsWith(`job=${job!.id}`))).toBe(true);
    } finally {
      await queue.close();
      await connection.quit();
    }

    // The same maps and scores as aaclip detect.
    const detectOut = path.join(work, 'detect');
    const detect = await aaclip('detect', ...FIXTURE_MODEL_FLAGS, '--class-name', CLASS, '--out', detectOut, ...images);
    expect(detect.code).toBe(0);
    expect(JSON.parse(await readFile(path.join(detectOut, 'scores.json'), 'utf8'))).toEqual(scores);
    const queued = readSafetensors(await readFile(path.join(out, 'maps.safetensors')), 'submit maps');
    const direct = readSafetensors(await readFile(path.join(detectOut, 'maps.safetensors')), 'detect maps');
    expect([...queued.tensors.keys()]).toEqual([...direct.tensors.keys()]);
    for (const [key, t] of direct.tensors) expect(Buffer.from((queued.tensors.get(key)!.data as Float32Array).buffer)).toEqual(Buffer.from((t.data as Float32Array).buffer));
    expect(queued.metadata).toEqual(direct.metadata);

    // A resubmission adds nothing and reads the same results.
    const before = scoredLines(b).length;
    const again = start(['submit', '--redis', redis.url, '--queue', 'parts', '--class-name', CLASS, '--out', path.join(work, 'run2'), ...images]);
    expect(await again.exited).toBe(0);
    expect(again.err).toContain(`${IMAGE_COUNT} images on queue parts: 0 new, ${IMAGE_COUNT} already queued or done`);
    expect(await readFile(path.join(work, 'run2', 'scores.json'), 'utf8')).toBe(await readFile(path.join(out, 'scores.json'), 'utf8'));
    expect(scoredLines(b).length).toBe(before);
  });

  it('lists a corrupt image as failed after its tries and writes the rest (submit --no-wait, then collect)', async () => {
    const b = workers[1]!;
    const corrupt = path.join(work, 'corrupt.png');
    await writeFile(corrupt, (await readFile(fixtureFile('images/img0.png'))).subarray(0, 80));
    const out = path.join(work, 'run3');
    const inputs = [images[0]!, corrupt, fixtureFile('images/img1.png')];
    const submit = start(['submit', '--redis', redis.url, '--queue', 'parts', '--class-name', CLASS, '--attempts', '2', '--backoff', '100', '--no-wait', '--out', out, ...inputs]);
    expect(await submit.exited).toBe(0);
    expect(submit.err).toContain('3 images on queue parts: 2 new, 1 already queued or done');
    const collect = start(['collect', '--out', out]);
    expect(await collect.exited).toBe(1);
    expect(collect.err).toMatch(new RegExp(`1 of 3 images failed:\\n  ${corrupt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a readable image \\(.+\\) \\(after 2 tries\\)`));
    const scores = JSON.parse(await readFile(path.join(out, 'scores.json'), 'utf8')) as { image: string }[];
    expect(scores.map((s) => s.image)).toEqual([images[0], fixtureFile('images/img1.png')]);
    expect(b.err).toMatch(/corrupt\.png: not a readable image .*\(try 2 of 2; failed\)/);

    // SIGTERM: the worker finishes what it holds and exits 0.
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    expect(b.err).toMatch(/stopped after scoring \d+ images/);
  });
});
