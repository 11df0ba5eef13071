// The demo page in Chromium: load the fixture model (picked files on WebGPU, URLs on wasm), detect,
// compare the map with the Node backend's, save screenshots, and check that bad images give a
// visible one-line error while the page stays usable.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { maxAbsError } from '@aaclip/core/testing';
import { fixtureFile, vocabPath } from '../../../../test-support/fixture.js';
import { fixtureTensors } from '../../../../test-support/fixtureLoader.js';
import { launchChromium } from './chromium.js';
import { startTestServer, type RunningServer } from './demoServer.js';
import { detectOnNode, disposeNodeDetector, FIXTURE_RUN } from './nodeReference.js';

// The fixture's tolerances (its README): maps 1e-3, image scores 1e-5.
const MAP_TOLERANCE = 1e-3;
const SCORE_TOLERANCE = 1e-5;
const outputDir = path.resolve(import.meta.dirname, '../../e2e-output');

interface PageDetection {
  imageSize: number;
  anomalyMap: number[];
  imageScore: number;
}

interface DemoState {
  state: string;
  device: string | null;
  lastError: string | null;
  hasDetection: boolean;
}

const demoState = (page: Page): Promise<DemoState> =>
  page.evaluate(() => {
    const h = (globalThis as unknown as { aaclipDemo: { state: string; device: string | null; lastError: string | null; lastDetection: unknown } }).aaclipDemo;
    return { state: h.state, device: h.device, lastError: h.lastError, hasDetection: h.lastDetection !== null };
  });

/** Waits until the page is neither starting, loading nor running. */
async function settled(page: Page): Promise<DemoState> {
  await page.waitForFunction(
    () => {
      const state = (globalThis as { aaclipDemo?: { state: string } }).aaclipDemo?.state;
      return state === 'idle' || state === 'ready';
    },
    null,
    { timeout: 540_000, polling: 250 },
  );
  return demoState(page);
}

async function lastDetection(page: Page): Promise<PageDetection> {
  return page.evaluate(() => {
    const d = (globalThis as unknown as { aaclipDemo: { lastDetection: { imageSize: number; anomalyMap: Float32Array; imageScore: number } } }).aaclipDemo
      .lastDetection;
    return { imageSize: d.imageSize, anomalyMap: Array.from(d.anomalyMap), imageScore: d.imageScore };
  });
}

const viewSize = (page: Page): Promise<number[]> =>
  page.evaluate(() => {
    const view = document.getElementById('view') as HTMLCanvasElement;
    return [view.width, view.height];
  });

/** Starts recording every text the load status shows while the progress bar is visible. */
async function recordProgress(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (globalThis as { progressSeen?: string[] }).progressSeen = seen;
    const status = document.getElementById('load-status')!;
    const bar = document.getElementById('load-progress')!;
    new MutationObserver(() => {
      if (!bar.hidden && status.textContent) seen.push(status.textContent);
    }).observe(status, { childList: true, characterData: true, subtree: true });
  });
}

const recordedProgress = (page: Page): Promise<string[]> => page.evaluate(() => (globalThis as unknown as { progressSeen: string[] }).progressSeen);

async function openDemo(browser: Browser, server: RunningServer): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
  page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
  await page.goto(server.url);
  await settled(page);
  return page;
}

async function detectImage(page: Page, file: string): Promise<PageDetection> {
  await page.setInputFiles('#image-file', file);
  await page.fill('#class-name', FIXTURE_RUN.className);
  await page.selectOption('#domain', FIXTURE_RUN.domain);
  await expect.poll(() => page.isEnabled('#detect')).toBe(true);
  await page.click('#detect');
  const state = await settled(page);
  expect(state.lastError, 'page error').toBeNull();
  expect(await page.isVisible('#error')).toBe(false);
  return lastDetection(page);
}

async function expectMatchesNode(detection: PageDetection, imageFile: string): Promise<void> {
  const reference = await detectOnNode(imageFile);
  expect(detection.imageSize).toBe(reference.imageSize);
  const mapError = maxAbsError(detection.anomalyMap, reference.anomalyMap);
  const scoreError = Math.abs(detection.imageScore - reference.imageScore);
  console.log(`${path.basename(imageFile)}: page vs node map max error ${mapError.toExponential(2)}, score error ${scoreError.toExponential(2)}`);
  expect(mapError).toBeLessThanOrEqual(MAP_TOLERANCE);
  expect(scoreError).toBeLessThanOrEqual(SCORE_TOLERANCE);
}

describe('demo page in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(outputDir, { recursive: true });
    server = await startTestServer();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await disposeNodeDetector();
  });

  describe('model from picked files, on WebGPU', () => {
    let page: Page;

    beforeAll(async () => {
      page = await openDemo(browser, server);
    });

    it('shows that WebGPU is available before a model is loaded', async () => {
      expect(await page.textContent('#device')).toMatch(/^WebGPU available/);
    });

    it('loads the fixture model with progress and runs it on WebGPU', async () => {
      await page.setInputFiles('#weights-file', fixtureFile('clip.safetensors'));
      await page.setInputFiles('#config-file', fixtureFile('open_clip_config.json'));
      await page.setInputFiles('#vocab-file', vocabPath);
      await page.setInputFiles('#adapters-file', fixtureFile('adapters.safetensors'));
      await page.fill('#image-size', String(FIXTURE_RUN.imageSize));
      await page.selectOption('#device-choice', 'webgpu');
      await page.selectOption('#domain', FIXTURE_RUN.domain);
      await recordProgress(page);
      await page.click('#load-model');
      const state = await settled(page);
      expect(state.lastError, 'load error').toBeNull();
      expect(state.state).toBe('ready');
      // Progress was shown: byte counts while reading, then the stages of starting the model that
      // wait on the runtime (stages that run in one synchronous stretch are never painted).
      const seen = await recordedProgress(page);
      expect(seen.some((line) => /^reading .*: [\d.]+ (B|KB|MB) of [\d.]+ MB$/.test(line)), seen.join(' | ')).toBe(true);
      for (const stage of ['loading vision model…', 'loading text model…']) expect(seen, seen.join(' | ')).toContain(stage);
      expect(state.device).toBe('webgpu');
      expect(await page.textContent('#device')).toBe('WebGPU');
      expect(await page.textContent('#load-status')).toMatch(/^Model ready on webgpu \(48×48, industrial\)\. Loaded in [\d.]+ s\.$/);
    });

    it('gives the Node backend’s map and score (and the golden ones) for img0.png, and shows them', async () => {
      const detection = await detectImage(page, fixtureFile('images/img0.png'));
      await expectMatchesNode(detection, fixtureFile('images/img0.png'));
      const golden = fixtureTensors('golden.safetensors');
      const goldenMap = (golden.get('anomaly_map')!.data as Float32Array).subarray(0, 48 * 48);
      expect(maxAbsError(detection.anomalyMap, goldenMap)).toBeLessThanOrEqual(MAP_TOLERANCE);
      expect(Math.abs(detection.imageScore - (golden.get('image_score')!.data as Float32Array)[0]!)).toBeLessThanOrEqual(SCORE_TOLERANCE);
      expect(await page.textContent('#score')).toBe(detection.imageScore.toFixed(4));
      expect(await page.textContent('#timing')).toMatch(/ms on webgpu$/);
      // The view shows the image (64×64, scaled to 480) with the heatmap over it.
      expect(await viewSize(page)).toEqual([480, 480]);
      await page.screenshot({ path: path.join(outputDir, 'demo-webgpu.png'), fullPage: true });
    });

    it('shows a visible error for a file that is not an image, and stays usable', async () => {
      await page.setInputFiles('#image-file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('these are notes, not pixels\n') });
      await expect.poll(() => page.isVisible('#error')).toBe(true);
      expect(await page.textContent('#error')).toBe('notes.txt: not an image (PNG, JPEG, GIF, WebP or BMP expected)');
      await page.screenshot({ path: path.join(outputDir, 'demo-error-not-an-image.png'), fullPage: true });
      expect((await demoState(page)).state).toBe('ready');
    });

    it('shows a visible error for an oversized image, and stays usable', async () => {
      const huge = await sharp({ create: { width: 9000, height: 8000, channels: 3, background: { r: 0, g: 0, b: 0 } } }).png().toBuffer();
      await page.setInputFiles('#image-file', { name: 'huge.png', mimeType: 'image/png', buffer: huge });
      await expect.poll(() => page.isVisible('#error')).toBe(true);
      expect(await page.textContent('#error')).toBe('huge.png: image is 9000×8000 = 72.0 megapixels; the limit is 67.1');
      // Still usable: another image runs and matches the Node backend.
      const detection = await detectImage(page, fixtureFile('images/img1.png'));
      await expectMatchesNode(detection, fixtureFile('images/img1.png'));
      expect(await page.textContent('#image-name')).toBe('img1.png (80×60)');
      expect(await viewSize(page)).toEqual([480, 360]);
    });

    it('takes an image dropped on the drop zone', async () => {
      const bytes = readFileSync(fixtureFile('images/img2.png')).toString('base64');
      const dataTransfer = await page.evaluateHandle((base64) => {
        const transfer = new DataTransfer();
        const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        transfer.items.add(new File([data], 'dropped.png', { type: 'image/png' }));
        return transfer;
      }, bytes);
      await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer });
      await expect.poll(() => page.textContent('#image-name')).toBe('dropped.png (48×48)');
      await page.click('#detect');
      expect((await settled(page)).lastError).toBeNull();
      await expectMatchesNode(await lastDetection(page), fixtureFile('images/img2.png'));
    });

    it('shows a visible error when a model file is not what it claims, and keeps going', async () => {
      await page.setInputFiles('#weights-file', fixtureFile('open_clip_config.json'));
      await page.click('#load-model');
      const state = await settled(page);
      expect(state.lastError).toMatch(/^open_clip_config\.json: /);
      expect(await page.isVisible('#error')).toBe(true);
      expect(await page.textContent('#load-status')).toBe('No model loaded.');
      expect(await page.isEnabled('#load-model')).toBe(true);
    });
  });

  describe('model from URLs, on wasm', () => {
    it('loads by URL, shows wasm as the device and matches the Node backend on the greyscale image', async () => {
      const page = await openDemo(browser, server);
      await page.click('#tab-urls');
      await page.fill('#weights-url', server.fixtureUrl('clip.safetensors'));
      await page.fill('#config-url', server.fixtureUrl('open_clip_config.json'));
      await page.fill('#vocab-url', server.vocabUrl());
      await page.fill('#adapters-url', server.fixtureUrl('adapters.safetensors'));
      await page.fill('#image-size', String(FIXTURE_RUN.imageSize));
      await page.selectOption('#device-choice', 'wasm');
      await page.click('#load-model');
      const state = await settled(page);
      expect(state.lastError, 'load error').toBeNull();
      expect(state.device).toBe('wasm');
      expect(await page.textContent('#device')).toBe('WebAssembly (wasm)');
      const detection = await detectImage(page, fixtureFile('images/img2.png'));
      await expectMatchesNode(detection, fixtureFile('images/img2.png'));
      await page.screenshot({ path: path.join(outputDir, 'demo-wasm-url.png'), fullPage: true });

      // Another domain restarts the model from its URLs with the medical blur: same image score
      // (the blur only smooths the maps), another map.
      await page.selectOption('#domain', 'medical');
      await page.click('#detect');
      expect((await settled(page)).lastError).toBeNull();
      expect(await page.textContent('#load-status')).toMatch(/^Model ready on wasm \(48×48, medical\)/);
      const medical = await lastDetection(page);
      expect(Math.abs(medical.imageScore - detection.imageScore)).toBeLessThan(1e-6);
      expect(maxAbsError(medical.anomalyMap, detection.anomalyMap)).toBeGreaterThan(1e-3);

      await page.fill('#weights-url', `${server.url}files/fixture/missing.safetensors`);
      await page.click('#load-model');
      expect((await settled(page)).lastError).toBe(`${server.url}files/fixture/missing.safetensors: the server answered HTTP 404 Not Found`);
      await page.close();
    });
  });
});
