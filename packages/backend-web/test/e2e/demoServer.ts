// The demo server for the end-to-end tests: a fresh bundle, a free localhost port, and the
// fixture and the vocabulary folders mounted so the pages can fetch them by URL.
import path from 'node:path';
import { fixtureDir, vocabPath } from '../../../../test-support/fixture.js';
// The server is plain JavaScript (run directly by `npm run demo:web`).
import { startDemoServer } from '../../demo/serveDemo.mjs';

export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
  /** URL of a mounted fixture file. */
  fixtureUrl(name: string): string;
  vocabUrl(): string;
}

export async function startTestServer(): Promise<RunningServer> {
  const server = (await startDemoServer({
    port: 0,
    mounts: { fixture: fixtureDir, clip: path.dirname(vocabPath) },
  })) as { url: string; close(): Promise<void> };
  return {
    ...server,
    fixtureUrl: (name) => `${server.url}files/fixture/${name}`,
    vocabUrl: () => `${server.url}files/clip/${path.basename(vocabPath)}`,
  };
}
