// The conformance suite inside Chromium on web/webgpu (a real WebGPU adapter: SwiftShader on a
// machine without a GPU), through the page that bundles it: fp32 with the device's fusions, and
// fp16 where the adapter has shader-f16.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Precision } from '@aaclip/core';
import { conformanceCases, formatConformanceReport, type ConformanceReport } from '@aaclip/core/testing';
import { launchChromium } from './chromium.js';
import { startTestServer, type RunningServer } from './demoServer.js';

interface PageOutcome {
  state: string;
  message: string | null;
  report: ConformanceReport | null;
  adapter: string;
}

async function runPage(browser: Browser, server: RunningServer, precision: Precision): Promise<PageOutcome> {
  const page = await browser.newPage();
  page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
  await page.goto(`${server.url}conformance.html?device=webgpu&precision=${precision}&fixture=${encodeURIComponent(server.fixtureUrl(''))}`);
  try {
    await page.waitForFunction(() => (globalThis as { aaclipConformance?: { state: string } }).aaclipConformance?.state !== 'running', null, {
      timeout: 540_000,
      polling: 500,
    });
  } catch (err) {
    // Say how far the page got (it lists each finished case) before giving up.
    const shown = await page.locator('#report').textContent().catch(() => null);
    throw new Error(`${err instanceof Error ? err.message : String(err)}; the page showed: ${shown ?? '(nothing)'}`);
  }
  const outcome = await page.evaluate(async () => {
    const handle = (globalThis as unknown as { aaclipConformance: Omit<PageOutcome, 'adapter'> }).aaclipConformance;
    const adapter = await (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info: { vendor: string; architecture: string } } | null> } }).gpu?.requestAdapter();
    return { ...handle, adapter: adapter ? `${adapter.info.vendor} ${adapter.info.architecture}` : 'none' };
  });
  await page.close();
  if (outcome.report) console.log(`${formatConformanceReport(outcome.report)}\n(adapter: ${outcome.adapter})`);
  else console.log(`conformance page (${precision}): ${outcome.state}: ${outcome.message}`);
  return outcome;
}

describe('conformance on web/webgpu in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  const outcomes = new Map<Precision, PageOutcome>();

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchChromium();
    // fp32 with the device's fusions (the fused attention with its expanded mask); then fp16,
    // which the page reports unavailable on an adapter without shader-f16.
    for (const precision of ['fp32', 'fp16'] as const) outcomes.set(precision, await runPage(browser, server, precision));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('runs on a real WebGPU adapter, with the fused attention the device declares', () => {
    const outcome = outcomes.get('fp32')!;
    expect(outcome.adapter).not.toBe('none');
    expect(outcome.state, outcome.message ?? '').toBe('done');
    expect(outcome.report!.device).toBe('webgpu');
    expect(outcome.report!.passes).toContain('fuse-attention');
  });

  for (const precision of ['fp32', 'fp16'] as const) {
    for (const c of conformanceCases(precision)) {
      it(`${precision}: ${c.id}: ${c.description}, within ${c.tolerance}`, (ctx) => {
        const outcome = outcomes.get(precision)!;
        if (precision !== 'fp32' && outcome.state === 'unavailable') ctx.skip(outcome.message ?? 'unavailable');
        const result = outcome.report?.results.find((r) => r.id === c.id);
        expect(result, `${c.id} ran`).toBeDefined();
        expect(result!.error, `${c.id} error`).toBeUndefined();
        expect(result!.maxError).toBeLessThanOrEqual(c.tolerance);
      });
    }
  }
});
