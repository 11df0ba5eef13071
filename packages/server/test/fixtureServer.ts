// A served fixture model for the service tests: the tiny-aaclip detector on the node backend,
// a server on 127.0.0.1 at a free port, and a detector whose runs wait for a gate (to hold the
// model busy for backpressure and deadline tests).
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { AnomalyDetector } from '@aaclip/core';
import { createServer, type CreateServerOptions } from '../src/index.js';
import { fixtureFile } from '../../../test-support/fixture.js';
import { fixtureDetector } from '../../../test-support/fixtureDetector.js';

export const FIXTURE_IMAGES = ['img0.png', 'img1.png', 'img2.png'].map((f) => fixtureFile(`images/${f}`));
export const imageBytes = (i: number): Uint8Array<ArrayBuffer> => new Uint8Array(readFileSync(FIXTURE_IMAGES[i]!));

export { fixtureDetector };

export interface RunningServer {
  readonly url: string;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

export async function startServer(detector: AnomalyDetector | Promise<AnomalyDetector>, options: CreateServerOptions = {}): Promise<RunningServer> {
  const app = createServer(detector, options);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url: address, app, close: () => app.close() };
}

/** `detector` whose detect() calls wait until `open()` (every call after it passes at once); counts the calls started. */
export function gatedDetector(detector: AnomalyDetector): { detector: AnomalyDetector; open(): void; started(): number } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let calls = 0;
  const gated = new Proxy(detector, {
    get(target, property, receiver) {
      if (property === 'detect') {
        return async (...args: Parameters<AnomalyDetector['detect']>) => {
          calls++;
          await gate;
          return target.detect(...args);
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  return { detector: gated, open: release, started: () => calls };
}

/** POSTs bytes as an image body. */
export function postImage(url: string, bytes: Uint8Array<ArrayBuffer>, query = '', headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v1/detect${query}`, { method: 'POST', headers: { 'content-type': 'image/png', ...headers }, body: bytes });
}

/** The error a response carries, checking that it has the service's error shape. */
export async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
  if (typeof body.error?.code !== 'string' || typeof body.error.message !== 'string') throw new Error(`not an error body: ${JSON.stringify(body)}`);
  return { status: response.status, code: body.error.code, message: body.error.message };
}
