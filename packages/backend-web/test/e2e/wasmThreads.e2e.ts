// wasm threads in Chromium: the demo server's page is cross-origin isolated, so onnxruntime-web
// runs wasm with one thread per core (worker threads seen by the browser) and still gives the
// Node backend's maps; the same page served without the isolation headers falls back to one
// thread, says so in the console and in the load status, and gives the same maps. The demo's
// int8 choice runs on the same threads with a map that correlates with fp32's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { maxAbsError, MIN_MAP_CORRELATION, pearsonCorrelation } from '@aaclip/core/testing';
import { fixtureFile } from '../../../../test-support/fixture.js';
import { launchChromium } from './chromium.js';
import { startTestServer, type RunningServer } from './demoServer.js';
import { detectOnNode, disposeNodeDetector, FIXTURE_RUN } from './nodeReference.js';

// The fixture's tolerances (its README): maps 1e-3, image scores 1e-5.
const MAP_TOLERANCE = 1e-3;
const SCORE_TOLERANCE = 1e-5;
// The cores the page is told it has (navigator.hardwareConcurrency), so the default thread count
// is known whatever machine runs the test.
const CORES = 3;

interface Runtime {
  numThreads: number | undefined;
  crossOriginIsolated: boolean;
  threadsPossible: boolean;
  cores: number | undefined;
  simd: boolean;
}

interface DemoRun {
  runtime: Runtime;
  device: string | null;
  error: string | null;
  status: string | null;
  anomalyMap: number[];
  imageScore: number;
}

async function openDemo(browser: Browser, server: RunningServer, isolated: boolean): Promise<{ page: Page; consoleLines: string[] }> {
  const page = await browser.newPage();
  const consoleLines: string[] = [];
  page.on('console', (message) => consoleLines.push(message.text()));
  await page.addInitScript((cores) => {
    Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => cores });
  }, CORES);
  if (!isolated) {
    // The same server's answers without the isolation headers.
    await page.route('**/*', async (route) => {
      const response = await route.fetch();
      const headers = { ...response.headers() };
      delete headers['cross-origin-opener-policy'];
      delete headers['cross-origin-embedder-policy'];
      await route.fulfill({ response, headers });
    });
  }
  await page.goto(server.url);
  await page.waitForFunction(() => (globalThis as { aaclipDemo?: { state: string } }).aaclipDemo?.state === 'idle');
  return { page, consoleLines };
}

/** Loads the fixture by URL on wasm, detects img0.png, and returns what the page reports. */
async function detectOnWasm(page: Page, server: RunningServer): Promise<DemoRun> {
  await page.click('#tab-urls');
  await page.fill('#weights-url', server.fixtureUrl('clip.safetensors'));
  await page.fill('#config-url', server.fixtureUrl('open_clip_config.json'));
  await page.fill('#vocab-url', server.vocabUrl());
  await page.fill('#adapters-url', server.fixtureUrl('adapters.safetensors'));
  await page.fill('#image-size', String(FIXTURE_RUN.imageSize));
  await page.selectOption('#device-choice', 'wasm');
  await page.selectOption('#domain', FIXTURE_RUN.domain);
  await page.fill('#class-name', FIXTURE_RUN.className);
  await page.click('#load-model');
  const settled = () =>
    page.waitForFunction(() => ['idle', 'ready'].includes((globalThis as unknown as { aaclipDemo: { state: string } }).aaclipDemo.state), null, {
      timeout: 300_000,
    });
  await settled();
  const status = await page.textContent('#load-status');
  await page.setInputFiles('#image-file', fixtureFile('images/img0.png'));
  await expect.poll(() => page.isEnabled('#detect'), { timeout: 60_000 }).toBe(true);
  await page.click('#detect');
  await settled();
  return page.evaluate((loadStatus) => {
    const h = (globalThis as unknown as {
      aaclipDemo: { runtime: Runtime; device: string | null; lastError: string | null; lastDetection: { anomalyMap: Float32Array; imageScore: number } | null };
    }).aaclipDemo;
    return {
      runtime: h.runtime,
      device: h.device,
      error: h.lastError,
      status: loadStatus,
      anomalyMap: h.lastDetection ? Array.from(h.lastDetection.anomalyMap) : [],
      imageScore: h.lastDetection?.imageScore ?? Number.NaN,
    };
  }, status);
}

async function expectNodeMaps(run: DemoRun): Promise<void> {
  expect(run.error, 'page error').toBeNull();
  expect(run.device).toBe('wasm');
  const reference = await detectOnNode(fixtureFile('images/img0.png'));
  expect(run.anomalyMap).toHaveLength(reference.anomalyMap.length);
  expect(maxAbsError(run.anomalyMap, reference.anomalyMap)).toBeLessThanOrEqual(MAP_TOLERANCE);
  expect(Math.abs(run.imageScore - reference.imageScore)).toBeLessThanOrEqual(SCORE_TOLERANCE);
}

describe('wasm threads in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await disposeNodeDetector();
  });

  it('the demo server sends the isolation headers, on the page and on the wasm runtime', async () => {
    for (const file of ['', 'ort/ort-wasm-simd-threaded.jsep.wasm']) {
      const response = await fetch(new URL(file, server.url), { method: 'HEAD' });
      expect(response.status, file).toBe(200);
      expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect(response.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    }
  });

  it('runs the fixture on one thread per core when cross-origin isolated, with the Node backend’s maps', async () => {
    const { page } = await openDemo(browser, server, true);
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
    const run = await detectOnWasm(page, server);
    expect(run.runtime).toMatchObject({ crossOriginIsolated: true, threadsPossible: true, cores: CORES, numThreads: CORES, simd: true });
    expect(run.status).toMatch(new RegExp(`wasm: ${CORES} threads, SIMD\\.$`));
    // onnxruntime-web's thread pool: numThreads − 1 workers beside the page's own thread.
    expect(page.workers().length).toBeGreaterThanOrEqual(CORES - 1);
    await expectNodeMaps(run);

    // The demo's int8 choice restarts the model in int8 on the same threads: a map close to
    // fp32's (the correlation the conformance suite asks of int8) but not the same.
    await page.selectOption('#precision', 'int8');
    await page.click('#detect');
    await page.waitForFunction(() => (globalThis as unknown as { aaclipDemo: { state: string } }).aaclipDemo.state === 'ready', null, { timeout: 300_000 });
    const int8 = await page.evaluate(() => {
      const h = (globalThis as unknown as { aaclipDemo: { lastError: string | null; lastDetection: { anomalyMap: Float32Array } } }).aaclipDemo;
      return { error: h.lastError, anomalyMap: Array.from(h.lastDetection.anomalyMap) };
    });
    expect(int8.error).toBeNull();
    expect(await page.textContent('#load-status')).toMatch(new RegExp(`^Model ready on wasm \\(48×48, industrial, int8\\)\\..*wasm: ${CORES} threads, SIMD\\.$`));
    expect(pearsonCorrelation(int8.anomalyMap, run.anomalyMap)).toBeGreaterThanOrEqual(MIN_MAP_CORRELATION);
    expect(maxAbsError(int8.anomalyMap, run.anomalyMap)).toBeGreaterThan(0);
    await page.close();
  });

  it('falls back to one thread, with a console note, when the page is not cross-origin isolated', async () => {
    const { page, consoleLines } = await openDemo(browser, server, false);
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(false);
    const run = await detectOnWasm(page, server);
    expect(run.runtime).toMatchObject({ crossOriginIsolated: false, threadsPossible: false, numThreads: 1 });
    expect(run.status).toMatch(/wasm: 1 thread \(the page is not cross-origin isolated\), SIMD\.$/);
    expect(consoleLines.some((line) => line.includes('not cross-origin isolated') && line.includes('1 thread'))).toBe(true);
    expect(page.workers()).toHaveLength(0);
    await expectNodeMaps(run);
    await page.close();
  });
});
