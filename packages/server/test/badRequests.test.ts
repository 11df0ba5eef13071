// Each bad request gets its 4xx and the service's error body, and the next request is served.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnomalyDetector } from '@aaclip/core';
import { declaredSizeBmp, declaredSizePng } from '../../../test-support/craftedImages.js';
import { errorOf, fixtureDetector, imageBytes, postImage, startServer, type RunningServer } from './fixtureServer.js';

const TOKEN = 'secret-token-1';
const auth = { authorization: `Bearer ${TOKEN}` };
let detector: AnomalyDetector;
let server: RunningServer;

beforeAll(async () => {
  detector = await fixtureDetector();
  server = await startServer(detector, { token: TOKEN, bodyLimit: 256 * 1024, maxFiles: 3 });
});

afterAll(async () => {
  await server.close();
  await detector.dispose();
});

/** A good request right after: the server keeps serving. */
async function stillServes(): Promise<void> {
  const response = await postImage(server.url, imageBytes(2), '', auth);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { image_score: number };
  expect(body.image_score).toBeGreaterThan(0);
}

/** Sends raw bytes on a fresh connection, ends its side, and returns what came back (empty if nothing). */
function rawExchange(request: Buffer): Promise<string> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
}

function multipartBody(files: { name: string; bytes: Uint8Array }[], boundary: string): Buffer {
  const parts = files.map(({ name, bytes }) =>
    Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${name}"\r\nContent-Type: image/png\r\n\r\n`),
      bytes,
      Buffer.from('\r\n'),
    ]),
  );
  return Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]);
}

describe('bad requests to POST /v1/detect', () => {
  const cases: { what: string; send: () => Promise<Response>; status: number; code: string; message?: RegExp }[] = [
    { what: 'not an image', send: () => postImage(server.url, new TextEncoder().encode('hello, not a picture'), '', auth), status: 400, code: 'invalid_image', message: /^body: not a readable image/ },
    { what: 'a truncated PNG', send: () => postImage(server.url, imageBytes(0).subarray(0, 4000), '', auth), status: 400, code: 'invalid_image', message: /^body: not a readable image/ },
    { what: 'an empty body', send: () => postImage(server.url, new Uint8Array(0), '', auth), status: 400, code: 'no_image' },
    { what: 'a PNG decompression bomb (60000×60000 declared)', send: () => postImage(server.url, declaredSizePng(60_000, 60_000), '', auth), status: 413, code: 'too_many_pixels', message: /60000×60000 pixels is past the limit of 25000000 pixels/ },
    { what: 'a BMP declaring 20000×20000', send: () => postImage(server.url, declaredSizeBmp(20_000, 20_000), '', { ...auth, 'content-type': 'image/bmp' }), status: 413, code: 'too_many_pixels' },
    { what: 'a body past the size limit', send: () => postImage(server.url, new Uint8Array(300 * 1024), '', auth), status: 413, code: 'body_too_large' },
    { what: 'no token', send: () => postImage(server.url, imageBytes(2)), status: 401, code: 'unauthorized' },
    { what: 'a wrong token', send: () => postImage(server.url, imageBytes(2), '', { authorization: 'Bearer secret-token-2' }), status: 401, code: 'unauthorized' },
    { what: 'a JSON body', send: () => fetch(`${server.url}/v1/detect`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"image":"x"}' }), status: 415, code: 'unsupported_media_type', message: /^Content-Type "application\/json" is not accepted; send the image as the body with Content-Type image\/png, / },
    { what: 'a GIF content type', send: () => postImage(server.url, imageBytes(2), '', { ...auth, 'content-type': 'image/gif' }), status: 415, code: 'unsupported_media_type' },
    { what: 'an unknown map format', send: () => postImage(server.url, imageBytes(2), '?map=jpeg', auth), status: 400, code: 'bad_request', message: /^query map: / },
    { what: 'an unknown query field', send: () => postImage(server.url, imageBytes(2), '?colour=red', auth), status: 400, code: 'bad_request' },
    { what: 'an empty class name', send: () => postImage(server.url, imageBytes(2), '?class_name=%20', auth), status: 400, code: 'bad_request', message: /^query class_name: / },
    {
      what: 'a class name past CLIP\'s 77-token context',
      send: () => postImage(server.url, imageBytes(2), `?class_name=${encodeURIComponent(Array.from({ length: 45 }, (_, i) => `w${i}`).join(' '))}`, auth),
      status: 400,
      code: 'bad_request',
      message: /tokens with the start\/end markers, more than the context length 77/,
    },
    { what: 'an unknown route', send: () => fetch(`${server.url}/v2/detect`, { method: 'POST', headers: auth }), status: 404, code: 'not_found', message: /^no route POST \/v2\/detect$/ },
    { what: 'GET on the detect route', send: () => fetch(`${server.url}/v1/detect`, { headers: auth }), status: 404, code: 'not_found' },
    {
      what: 'a multipart form with no file',
      send: () => {
        const form = new FormData();
        form.append('note', 'no file here');
        return fetch(`${server.url}/v1/detect`, { method: 'POST', headers: auth, body: form });
      },
      status: 400,
      code: 'no_image',
    },
    {
      what: 'a multipart form with more files than allowed',
      send: () => {
        const form = new FormData();
        for (let i = 0; i < 4; i++) form.append('image', new Blob([imageBytes(2)], { type: 'image/png' }), `${i}.png`);
        return fetch(`${server.url}/v1/detect`, { method: 'POST', headers: auth, body: form });
      },
      status: 413,
      code: 'too_many_files',
    },
    {
      what: 'a multipart form cut off before its closing boundary',
      send: () => {
        const body = multipartBody([{ name: 'a.png', bytes: imageBytes(2) }], 'XyZ');
        return fetch(`${server.url}/v1/detect`, { method: 'POST', headers: { ...auth, 'content-type': 'multipart/form-data; boundary=XyZ' }, body: new Uint8Array(body.subarray(0, body.length - 30)) });
      },
      status: 400,
      code: 'invalid_multipart',
    },
    {
      what: 'a multipart file that is not an image',
      send: () => {
        const form = new FormData();
        form.append('image', new Blob([imageBytes(2)], { type: 'image/png' }), 'good.png');
        form.append('image', new Blob(['plain text'], { type: 'image/png' }), 'bad.png');
        return fetch(`${server.url}/v1/detect`, { method: 'POST', headers: auth, body: form });
      },
      status: 400,
      code: 'invalid_image',
      message: /^bad\.png: not a readable image/,
    },
  ];

  for (const { what, send, status, code, message } of cases) {
    it(`${what} → ${status} ${code}, then the next request is served`, async () => {
      const error = await errorOf(await send());
      expect(error.status).toBe(status);
      expect(error.code).toBe(code);
      expect(error.message).not.toContain('\n');
      if (message) expect(error.message).toMatch(message);
      await stillServes();
    });
  }

  it('an upload cut off mid-body (Content-Length past what was sent) → 400 bad_request, and the next request is served', async () => {
    const png = Buffer.from(imageBytes(0));
    const head = `POST /v1/detect HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: image/png\r\nContent-Length: ${png.length}\r\n\r\n`;
    const answer = await rawExchange(Buffer.concat([Buffer.from(head), png.subarray(0, 1000)]));
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({ error: { code: 'bad_request', message: expect.stringMatching(/^the request cannot be read/) as unknown } });
    await stillServes();
  });

  it('health, readiness and the OpenAPI document need no token; metrics do', async () => {
    expect((await fetch(`${server.url}/v1/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/v1/ready`)).status).toBe(200);
    expect((await fetch(`${server.url}/openapi.json`)).status).toBe(200);
    expect((await errorOf(await fetch(`${server.url}/metrics`))).code).toBe('unauthorized');
    expect((await fetch(`${server.url}/metrics`, { headers: auth })).status).toBe(200);
  });
});
