// `aaclip serve` as a real process on 127.0.0.1: its scores and maps are exactly those of
// `aaclip detect` on the same images, and SIGTERM with requests in flight answers them all, then
// exits 0.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectResponseSchema, detectResultSchema, type DetectResult } from '@aaclip/server';
import { aaclip } from './runCli.js';
import { FIXTURE_MODEL_FLAGS, fixtureFile } from '../../../test-support/fixture.js';
import { readTensorFile } from '../../../test-support/fixtureLoader.js';
import { spawnCli, type CliProcess } from '../../../test-support/cliProcess.js';

const IMAGES = ['img0.png', 'img1.png', 'img2.png'].map((f) => fixtureFile(`images/${f}`));
const CLASS = 'dark bottle';
// Starting a process from the TypeScript sources and loading the model takes a while on a busy machine.
const START_MS = 150_000;

let work: string;
let server: CliProcess;
let url: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-serve-'));
  server = spawnCli(['serve', ...FIXTURE_MODEL_FLAGS, '--port', '0', '--max-queue', '64'], { AACLIP_CACHE: path.join(work, 'cache') });
  const [, address] = await server.waitForStdout(/"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/, START_MS);
  url = address!;
  await server.waitForStdout(/"msg":"model ready"/, START_MS);
}, START_MS * 2);

afterAll(async () => {
  if (server.child.exitCode === null) server.child.kill('SIGKILL');
  await rm(work, { recursive: true, force: true });
});

async function detectMultipart(query: string): Promise<DetectResult[]> {
  const form = new FormData();
  for (const image of IMAGES) form.append('image', new Blob([await readFile(image)], { type: 'image/png' }), path.basename(image));
  const response = await fetch(`${url}/v1/detect?${query}`, { method: 'POST', body: form });
  expect(response.status).toBe(200);
  return detectResponseSchema.parse(await response.json()) as DetectResult[];
}

describe('aaclip serve', () => {
  it('gives exactly the scores, maps and heatmaps of aaclip detect', async () => {
    const out = path.join(work, 'detect');
    const detect = await aaclip('detect', ...FIXTURE_MODEL_FLAGS, '--class-name', CLASS, '--out', out, ...IMAGES);
    expect(detect.code).toBe(0);
    const scores = JSON.parse(await readFile(path.join(out, 'scores.json'), 'utf8')) as { image: string; image_score: number; pixel_max: number }[];
    const maps = readTensorFile(path.join(out, 'maps.safetensors'));
    const query = `class_name=${encodeURIComponent(CLASS)}`;

    // One image at a time as the raw body: scores and the raw map, bit for bit.
    for (const [i, image] of IMAGES.entries()) {
      const response = await fetch(`${url}/v1/detect?${query}&map=f32`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: await readFile(image) });
      expect(response.status).toBe(200);
      const result = detectResultSchema.parse(await response.json());
      expect(result.image_score).toBe(scores[i]!.image_score);
      expect(result.pixel_max).toBe(scores[i]!.pixel_max);
      expect(result.map_size).toBe(48);
      const map = new Float32Array(new Uint8Array(Buffer.from(result.map_f32!, 'base64')).buffer);
      expect(map).toEqual(maps.get(image)!.data);
    }
    // All three in one multipart request: the heatmaps span the same maps as detect's run, so the PNGs are identical.
    const results = await detectMultipart(`${query}&map=png`);
    expect(results.map((r) => r.image)).toEqual(IMAGES.map((f) => path.basename(f)));
    for (const [i, image] of IMAGES.entries()) {
      expect(results[i]!.image_score).toBe(scores[i]!.image_score);
      expect(Buffer.from(results[i]!.map_png!, 'base64').equals(await readFile(path.join(out, path.basename(image))))).toBe(true);
    }
  }, START_MS);

  it('on SIGTERM with requests in flight answers them all, refuses new ones, and exits 0', async () => {
    const image = await readFile(IMAGES[2]!);
    const post = async (): Promise<DetectResult> => {
      const response = await fetch(`${url}/v1/detect?class_name=${encodeURIComponent(CLASS)}`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: image });
      expect(response.status).toBe(200);
      return detectResultSchema.parse(await response.json());
    };
    const sent = Array.from({ length: 4 }, () => post().then((r) => ({ r, at: Date.now() })));
    // Wait until the queue holds some of them: they are in flight when the signal comes.
    let depth = 0;
    for (let tries = 0; tries < 200 && depth === 0; tries++) {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      depth = Number(/^aaclip_queue_depth (\d+)$/m.exec(metrics)?.[1] ?? 0);
      if (depth === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(depth).toBeGreaterThan(0);
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    const answers = await Promise.all(sent);
    expect(new Set(answers.map(({ r }) => r.image_score)).size).toBe(1);
    // Some were still waiting for the model when the signal came, and got their answer after it.
    expect(answers.filter(({ at }) => at > signalled).length).toBeGreaterThan(0);
    expect(await server.exited).toBe(0);
    // Connections kept alive by the answered requests are closed with them, not left to time out (72 s).
    expect(Date.now() - signalled).toBeLessThan(30_000);
    expect(server.stdout()).toContain('"signal":"SIGTERM"');
    await expect(fetch(`${url}/v1/health`)).rejects.toThrow();
  }, START_MS);
});

describe('aaclip serve flags', () => {
  it('refuses a bad value naming its flag, before reading the model', async () => {
    const cases: [string[], RegExp][] = [
      [['--max-queue=-1'], /^aaclip serve: --max-queue: expected a positive integer/],
      [['--concurrency', '0'], /^aaclip serve: --concurrency: expected a positive integer/],
      [['--max-pixels', '200000000'], /^aaclip serve: --max-pixels: /],
      [['--port', '70000'], /^aaclip serve: --port: expected a port number/],
      [['image.png'], /^aaclip serve: aaclip serve: takes no images/],
    ];
    for (const [flags, message] of cases) {
      const result = await aaclip('serve', '--model', '/nonexistent-model-dir', ...flags);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(message);
    }
  });

  it('stops listening and exits 1 naming the file when the model fails to load', async () => {
    const notWeights = fixtureFile('config.json');
    const result = await aaclip('serve', ...FIXTURE_MODEL_FLAGS.map((f) => (f === fixtureFile('clip.safetensors') ? notWeights : f)), '--port', '0');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^aaclip serve: .*config\.json/);
  }, START_MS);
});
