// The demo page loading an exported bundle from its server by folder URL (no model build in the
// page): the fixture model exported with its class, run on wasm in Chromium, gives the Node
// backend's map (built from the weights) within the fixture's tolerances; a bundle with a changed
// file is refused with a visible one-line error naming it.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildBundle, detectorModelFromBytes } from '@aaclip/core';
import { maxAbsError } from '@aaclip/core/testing';
import { nodeSha256, writeBundleDir } from '@aaclip/backend-node';
import { fixtureFile, vocabPath } from '../../../../test-support/fixture.js';
import { launchChromium } from './chromium.js';
import { startDemoServer } from '../../demo/serveDemo.mjs';
import { detectOnNode, disposeNodeDetector, FIXTURE_RUN } from './nodeReference.js';

const MAP_TOLERANCE = 1e-3;
const SCORE_TOLERANCE = 1e-5;

interface PageState {
  state: string;
  device: string | null;
  lastError: string | null;
  detection: { imageSize: number; anomalyMap: number[]; imageScore: number } | null;
}

const pageState = (page: Page): Promise<PageState> =>
  page.evaluate(() => {
    const h = (globalThis as unknown as { aaclipDemo: { state: string; device: string | null; lastError: string | null; lastDetection: { imageSize: number; anomalyMap: Float32Array; imageScore: number } | null } }).aaclipDemo;
    const d = h.lastDetection;
    return { state: h.state, device: h.device, lastError: h.lastError, detection: d ? { imageSize: d.imageSize, anomalyMap: Array.from(d.anomalyMap), imageScore: d.imageScore } : null };
  });

async function settled(page: Page): Promise<PageState> {
  await page.waitForFunction(
    () => ['idle', 'ready'].includes((globalThis as { aaclipDemo?: { state: string } }).aaclipDemo?.state ?? ''),
    null,
    { timeout: 540_000, polling: 250 },
  );
  return pageState(page);
}

/** The fixture model exported as `aaclip export` does, with the run's class precomputed. */
async function exportFixtureBundle(out: string): Promise<void> {
  const named = async (file: string) => ({ name: file, bytes: new Uint8Array(await readFile(file)) });
  const vocabulary = await named(vocabPath);
  const model = await detectorModelFromBytes({
    config: await named(fixtureFile('open_clip_config.json')),
    weights: await named(fixtureFile('clip.safetensors')),
    vocabulary,
    adapters: [await named(fixtureFile('adapters.safetensors'))],
  });
  const contents = await buildBundle(model, {
    settings: { imageSize: FIXTURE_RUN.imageSize, domain: FIXTURE_RUN.domain },
    classNames: [FIXTURE_RUN.className],
    vocabulary,
    backend: 'node',
    device: 'cpu',
    sha256: nodeSha256,
  });
  await writeBundleDir(out, contents);
}

describe('demo page: a bundle from its server', () => {
  let work: string;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-demo-bundle-'));
    await exportFixtureBundle(path.join(work, 'bundle'));
    // The same bundle with one byte of the vision weights changed.
    await cp(path.join(work, 'bundle'), path.join(work, 'tampered'), { recursive: true });
    const data = path.join(work, 'tampered', 'aaclip-vision.onnx.data');
    const bytes = new Uint8Array(await readFile(data));
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 1;
    await writeFile(data, bytes);
    server = (await startDemoServer({ port: 0, mounts: { bundle: path.join(work, 'bundle'), tampered: path.join(work, 'tampered') } })) as typeof server;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await disposeNodeDetector();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function loadBundle(page: Page, folder: string): Promise<PageState> {
    await page.click('#tab-bundle');
    await page.fill('#bundle-url', `${server.url}files/${folder}/`);
    await page.selectOption('#device-choice', 'wasm');
    await page.selectOption('#domain', FIXTURE_RUN.domain);
    await page.click('#load-model');
    return settled(page);
  }

  it('loads the bundle by folder URL on wasm and gives the Node backend’s map and score', async () => {
    const page = await browser.newPage();
    page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
    await page.goto(server.url);
    await settled(page);
    const loaded = await loadBundle(page, 'bundle');
    expect(loaded.lastError, 'load error').toBeNull();
    expect(loaded).toMatchObject({ state: 'ready', device: 'wasm' });
    // The image size comes from the bundle's manifest.
    expect(await page.inputValue('#image-size')).toBe(String(FIXTURE_RUN.imageSize));
    expect(await page.textContent('#load-status')).toMatch(/^Model ready on wasm \(48×48, industrial\)/);

    const image = fixtureFile('images/img0.png');
    await page.setInputFiles('#image-file', image);
    await page.fill('#class-name', FIXTURE_RUN.className);
    await expect.poll(() => page.isEnabled('#detect')).toBe(true);
    await page.click('#detect');
    const result = await settled(page);
    expect(result.lastError).toBeNull();
    const reference = await detectOnNode(image);
    const mapError = maxAbsError(result.detection!.anomalyMap, reference.anomalyMap);
    const scoreError = Math.abs(result.detection!.imageScore - reference.imageScore);
    console.log(`bundle in Chromium (wasm) vs node from weights: map max error ${mapError.toExponential(2)}, score error ${scoreError.toExponential(2)}`);
    expect(result.detection!.imageSize).toBe(reference.imageSize);
    expect(mapError).toBeLessThanOrEqual(MAP_TOLERANCE);
    expect(scoreError).toBeLessThanOrEqual(SCORE_TOLERANCE);
    await page.close();
  });

  it('refuses a bundle whose vision weights were changed, naming the file', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await settled(page);
    const state = await loadBundle(page, 'tampered');
    expect(state.lastError).toBe(`${server.url}files/tampered/aaclip-vision.onnx.data: its sha256 differs from the bundle manifest's: the file was changed or damaged`);
    expect(await page.isVisible('#error')).toBe(true);
    expect(await page.textContent('#load-status')).toBe('No model loaded.');
    await page.close();
  });
});
