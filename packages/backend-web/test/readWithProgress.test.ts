import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AaclipError } from '@aaclip/core';
import { fetchWithProgress, readBlobWithProgress } from '../src/index.js';
import { seeded } from './tinyModel.js';

const payload = new Uint8Array(seeded(300_000, 9).buffer as ArrayBuffer); // 1.2 MB, several stream chunks

function progressLog(): { calls: [number, number | undefined][]; onProgress: (loaded: number, total: number | undefined) => void } {
  const calls: [number, number | undefined][] = [];
  return { calls, onProgress: (loaded, total) => calls.push([loaded, total]) };
}

/** Byte equality without an element-by-element diff of a megabyte. */
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function expectMonotoneTo(calls: [number, number | undefined][], end: number, total: number | undefined): void {
  expect(calls.length).toBeGreaterThanOrEqual(2);
  expect(calls[0]).toEqual([0, total]);
  expect(calls.at(-1)).toEqual([end, total]);
  for (let i = 1; i < calls.length; i++) expect(calls[i]![0]).toBeGreaterThanOrEqual(calls[i - 1]![0]);
}

describe('readBlobWithProgress', () => {
  it('reads every byte of a Blob and reports progress up to its size', async () => {
    const { calls, onProgress } = progressLog();
    const bytes = await readBlobWithProgress(new Blob([payload]), 'weights.safetensors', onProgress);
    expect(sameBytes(bytes, payload)).toBe(true);
    expectMonotoneTo(calls, payload.byteLength, payload.byteLength);
  });
});

describe('fetchWithProgress', () => {
  let base = '';
  const server = http.createServer((req, res) => {
    if (req.url === '/file') res.writeHead(200, { 'Content-Length': payload.byteLength }).end(payload);
    else if (req.url === '/chunked') {
      res.writeHead(200); // no Content-Length: the size is unknown until the end
      res.write(payload.subarray(0, 500_000));
      res.end(payload.subarray(500_000));
    } else if (req.url === '/short') {
      res.writeHead(200, { 'Content-Length': payload.byteLength });
      res.write(payload.subarray(0, 1000));
      setTimeout(() => res.destroy(), 20);
    } else res.writeHead(404, 'Not Found').end();
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('downloads with the Content-Length as the total', async () => {
    const { calls, onProgress } = progressLog();
    expect(sameBytes(await fetchWithProgress(`${base}/file`, onProgress), payload)).toBe(true);
    expectMonotoneTo(calls, payload.byteLength, payload.byteLength);
  });

  it('downloads without a known size', async () => {
    const { calls, onProgress } = progressLog();
    expect(sameBytes(await fetchWithProgress(`${base}/chunked`, onProgress), payload)).toBe(true);
    expect(calls.at(-1)).toEqual([payload.byteLength, undefined]);
  });

  it('names the URL on HTTP errors, cut-off transfers and unreachable servers', async () => {
    await expect(fetchWithProgress(`${base}/nothing`)).rejects.toThrow(new AaclipError('the server answered HTTP 404 Not Found', `${base}/nothing`));
    await expect(fetchWithProgress(`${base}/short`)).rejects.toThrow(AaclipError);
    await expect(fetchWithProgress(`${base}/short`)).rejects.toThrow(new RegExp(`^${base}/short: `));
    await expect(fetchWithProgress('http://127.0.0.1:1/x')).rejects.toThrow(/^http:\/\/127\.0\.0\.1:1\/x: cannot download/);
  });
});
