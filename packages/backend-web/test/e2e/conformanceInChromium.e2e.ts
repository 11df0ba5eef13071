// The conformance suite inside Chromium on web/webgpu (a real WebGPU adapter: SwiftShader on a
// machine without a GPU), through the page that bundles it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { CONFORMANCE_CASES, formatConformanceReport, type ConformanceReport } from '@aaclip/core/testing';
import { launchChromium } from './chromium.js';
import { startTestServer, type RunningServer } from './demoServer.js';

interface PageOutcome {
  state: string;
  message: string | null;
  report: ConformanceReport | null;
  adapter: string;
}

describe('conformance on web/webgpu in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let outcome: PageOutcome;

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchChromium();
    const page = await browser.newPage();
    page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
    await page.goto(`${server.url}conformance.html?device=webgpu&fixture=${encodeURIComponent(server.fixtureUrl(''))}`);
    await page.waitForFunction(() => (globalThis as { aaclipConformance?: { state: string } }).aaclipConformance?.state !== 'running', null, {
      timeout: 540_000,
      polling: 500,
    });
    outcome = await page.evaluate(async () => {
      const handle = (globalThis as unknown as { aaclipConformance: Omit<PageOutcome, 'adapter'> }).aaclipConformance;
      const adapter = await (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info: { vendor: string; architecture: string } } | null> } }).gpu?.requestAdapter();
      return { ...handle, adapter: adapter ? `${adapter.info.vendor} ${adapter.info.architecture}` : 'none' };
    });
    if (outcome.report) console.log(`${formatConformanceReport(outcome.report)}\n(adapter: ${outcome.adapter})`);
    else console.log(`conformance page: ${outcome.state}: ${outcome.message}`);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('runs on a real WebGPU adapter', () => {
    expect(outcome.adapter).not.toBe('none');
    expect(outcome.state, outcome.message ?? '').toBe('done');
    expect(outcome.report!.device).toBe('webgpu');
  });

  for (const c of CONFORMANCE_CASES) {
    it(`${c.id}: ${c.description}, within ${c.tolerance}`, () => {
      const result = outcome.report?.results.find((r) => r.id === c.id);
      expect(result, `${c.id} ran`).toBeDefined();
      expect(result!.error, `${c.id} error`).toBeUndefined();
      expect(result!.maxError).toBeLessThanOrEqual(c.tolerance);
    });
  }
});
