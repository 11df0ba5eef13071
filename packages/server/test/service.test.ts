// The service's behaviour under load and over its life: readiness before the model, backpressure
// (429 + Retry-After), deadlines, metrics, the OpenAPI document, CORS and multipart uploads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnomalyDetector } from '@aaclip/core';
import { createServer, detectResponseSchema, detectResultSchema } from '../src/index.js';
import { errorOf, fixtureDetector, gatedDetector, imageBytes, postImage, startServer } from './fixtureServer.js';

let detector: AnomalyDetector;

beforeAll(async () => {
  detector = await fixtureDetector();
});

afterAll(async () => {
  await detector.dispose();
});

/** Waits until `condition` holds (polling), failing after 10 s. */
async function until(condition: () => boolean): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > 10_000) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('options', () => {
  it('refuses a bad option naming it', () => {
    expect(() => createServer(detector, { maxQueue: -1 })).toThrow(/^createServer options\.maxQueue: Too small/);
    expect(() => createServer(detector, { maxPixels: 200_000_000 })).toThrow(/^createServer options\.maxPixels: /);
    expect(() => createServer(detector, { colour: 'red' } as never)).toThrow(/^createServer options: Unrecognized key: "colour"/);
  });
});

describe('readiness', () => {
  it('answers health at once, ready and detect with 503 until the model is loaded, then serves', async () => {
    let resolve!: (d: AnomalyDetector) => void;
    const server = await startServer(new Promise<AnomalyDetector>((r) => (resolve = r)));
    try {
      expect(await (await fetch(`${server.url}/v1/health`)).json()).toEqual({ status: 'ok' });
      const notReady = await fetch(`${server.url}/v1/ready`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({ status: 'loading' });
      const early = await postImage(server.url, imageBytes(2));
      expect(early.headers.get('retry-after')).toBe('5');
      expect(await errorOf(early)).toMatchObject({ status: 503, code: 'not_ready' });
      resolve(detector);
      await new Promise((r) => setTimeout(r, 0));
      const ready = await fetch(`${server.url}/v1/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', backend: 'node/cpu', image_size: 48 });
      expect((await postImage(server.url, imageBytes(2))).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('says when the model failed to load', async () => {
    const server = await startServer(Promise.reject(new Error('weights.safetensors: truncated')));
    try {
      expect(await (await fetch(`${server.url}/v1/ready`)).json()).toEqual({ status: 'failed' });
      expect(await errorOf(await postImage(server.url, imageBytes(2)))).toEqual({ status: 503, code: 'not_ready', message: 'the model failed to load (weights.safetensors: truncated)' });
    } finally {
      await server.close();
    }
  });
});

describe('backpressure', () => {
  it('runs --concurrency requests, queues --max-queue more, answers the rest 429 with Retry-After, then serves them all', async () => {
    const gate = gatedDetector(detector);
    const server = await startServer(gate.detector, { concurrency: 1, maxQueue: 2 });
    try {
      const accepted = [0, 1, 2].map((i) => postImage(server.url, imageBytes(i)));
      // One on the model, two waiting: the next ones are refused at once.
      await until(() => gate.started() === 1);
      await new Promise((r) => setTimeout(r, 200));
      for (let i = 0; i < 3; i++) {
        const refused = await postImage(server.url, imageBytes(2));
        expect(await errorOf(refused)).toMatchObject({ status: 429, code: 'queue_full' });
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/^aaclip_queue_depth 2$/m);
      expect(metrics).toMatch(/^aaclip_queue_running 1$/m);
      gate.open();
      const answers = await Promise.all(accepted);
      expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(gate.started()).toBe(3);
      expect((await postImage(server.url, imageBytes(2))).status).toBe(200);
    } finally {
      gate.open();
      await server.close();
    }
  });

  it('answers 503 deadline_exceeded when the model does not get to a request in time; it never runs, and the server goes on', async () => {
    const gate = gatedDetector(detector);
    const server = await startServer(gate.detector, { concurrency: 1, maxQueue: 4, deadlineMs: 400 });
    try {
      const first = postImage(server.url, imageBytes(0));
      await until(() => gate.started() === 1);
      const waiting = await postImage(server.url, imageBytes(1));
      expect(await errorOf(waiting)).toMatchObject({ status: 503, code: 'deadline_exceeded', message: 'no result within the deadline of 400 ms' });
      expect(await errorOf(await first)).toMatchObject({ status: 503, code: 'deadline_exceeded' });
      gate.open();
      await new Promise((r) => setTimeout(r, 100));
      // The waiting request left the queue without running: only the first reached the model.
      expect(gate.started()).toBe(1);
      expect((await postImage(server.url, imageBytes(2))).status).toBe(200);
      expect(gate.started()).toBe(2);
    } finally {
      gate.open();
      await server.close();
    }
  });
});

describe('shutdown', () => {
  it('close() stops accepting, answers the requests running and waiting, then resolves', async () => {
    const gate = gatedDetector(detector);
    const server = await startServer(gate.detector, { concurrency: 1 });
    try {
      const inFlight = [0, 1].map((i) => postImage(server.url, imageBytes(i)));
      await until(() => gate.started() === 1);
      await new Promise((r) => setTimeout(r, 200));
      let closed = false;
      const closing = server.close().then(() => (closed = true));
      await new Promise((r) => setTimeout(r, 100));
      await expect(fetch(`${server.url}/v1/health`)).rejects.toThrow();
      expect(closed).toBe(false);
      gate.open();
      expect((await Promise.all(inFlight)).map((r) => r.status)).toEqual([200, 200]);
      await closing;
      expect(gate.started()).toBe(2);
    } finally {
      gate.open();
      await server.close().catch(() => {});
    }
  });
});

describe('results', () => {
  it('scores multipart files as an array in upload order, each equal to the file posted alone', async () => {
    const server = await startServer(detector);
    try {
      const singles = [];
      for (const i of [0, 1, 2]) singles.push(detectResultSchema.parse(await (await postImage(server.url, imageBytes(i), '?class_name=dark%20bottle')).json()));
      const form = new FormData();
      for (const i of [0, 1, 2]) form.append('image', new Blob([imageBytes(i)], { type: 'image/png' }), `img${i}.png`);
      const response = await fetch(`${server.url}/v1/detect?class_name=dark%20bottle`, { method: 'POST', body: form });
      expect(response.status).toBe(200);
      const all = detectResponseSchema.parse(await response.json());
      expect(all).toEqual(singles.map((s, i) => ({ image: `img${i}.png`, ...s })));
      // The class name is in the prompts: another one gives other scores.
      const other = detectResultSchema.parse(await (await postImage(server.url, imageBytes(0), '?class_name=cable')).json());
      expect(other.image_score).not.toBe(singles[0]!.image_score);
    } finally {
      await server.close();
    }
  });

  it('gives each request its own result when the model runs several at once (--concurrency 3)', async () => {
    const server = await startServer(detector, { concurrency: 3 });
    try {
      const alone = [];
      for (const i of [0, 1, 2]) alone.push(await (await postImage(server.url, imageBytes(i), '?map=f32')).json());
      const together = await Promise.all([0, 1, 2, 2, 1, 0].map(async (i) => ({ i, body: (await (await postImage(server.url, imageBytes(i), '?map=f32')).json()) as unknown })));
      for (const { i, body } of together) expect(body).toEqual(alone[i]);
    } finally {
      await server.close();
    }
  });

  it('serves at most maxClassNames distinct class names, the known ones after that too', async () => {
    const server = await startServer(detector, { maxClassNames: 2 });
    try {
      for (const name of ['bottle', 'cable']) expect((await postImage(server.url, imageBytes(2), `?class_name=${name}`)).status).toBe(200);
      expect(await errorOf(await postImage(server.url, imageBytes(2), '?class_name=screw'))).toMatchObject({ status: 422, code: 'too_many_class_names' });
      expect((await postImage(server.url, imageBytes(2), '?class_name=bottle')).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('counts requests by route and status, latency, and images scored in /metrics', async () => {
    const server = await startServer(detector);
    try {
      await postImage(server.url, imageBytes(2));
      await postImage(server.url, imageBytes(2));
      await postImage(server.url, new Uint8Array(10));
      await fetch(`${server.url}/nowhere`);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain('aaclip_http_requests_total{route="/v1/detect",method="POST",status="200"} 2');
      expect(metrics).toContain('aaclip_http_requests_total{route="/v1/detect",method="POST",status="400"} 1');
      expect(metrics).toContain('aaclip_http_requests_total{route="unmatched",method="GET",status="404"} 1');
      expect(metrics).toContain('aaclip_http_request_duration_seconds_count{route="/v1/detect",method="POST"} 3');
      expect(metrics).toMatch(/^aaclip_images_scored_total 2$/m);
      expect(metrics).toMatch(/^aaclip_process_resident_memory_bytes \d+/m);
    } finally {
      await server.close();
    }
  });

  it('serves an OpenAPI 3.1 document listing every route, its responses and the zod-generated schemas', async () => {
    const server = await startServer(detector, { token: 't' });
    try {
      const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
        openapi: string;
        paths: Record<string, Record<string, { parameters?: { name: string; schema: { enum?: string[]; default?: unknown } }[]; responses: Record<string, unknown>; security?: unknown[] }>>;
        components: { schemas: Record<string, { anyOf?: unknown[] }> };
      };
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths).sort()).toEqual(['/metrics', '/openapi.json', '/v1/detect', '/v1/health', '/v1/ready']);
      const detect = doc.paths['/v1/detect']!.post!;
      expect(detect.parameters!.map((p) => p.name)).toEqual(['class_name', 'map']);
      expect(detect.parameters![1]!.schema).toMatchObject({ enum: ['none', 'png', 'f32'], default: 'none' });
      expect(Object.keys(detect.responses)).toEqual(['200', '400', '401', '404', '413', '415', '429', '503']);
      expect(detect.security).toEqual([{ bearer: [] }]);
      expect(doc.components.schemas.DetectResult!.anyOf).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it('sends CORS headers only for the origins it is given', async () => {
    const open = await startServer(detector, { cors: ['http://line-camera.test'] });
    const closed = await startServer(detector);
    try {
      const preflight = { method: 'OPTIONS', headers: { origin: 'http://line-camera.test', 'access-control-request-method': 'POST' } };
      const allowed = await fetch(`${open.url}/v1/detect`, preflight);
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://line-camera.test');
      const response = await postImage(open.url, imageBytes(2), '', { origin: 'http://line-camera.test' });
      expect(response.headers.get('access-control-allow-origin')).toBe('http://line-camera.test');
      const elsewhere = await postImage(open.url, imageBytes(2), '', { origin: 'http://elsewhere.test' });
      expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
      const none = await postImage(closed.url, imageBytes(2), '', { origin: 'http://line-camera.test' });
      expect(none.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await open.close();
      await closed.close();
    }
  });
});
