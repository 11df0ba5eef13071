// Importing eval (its browser entry and its main entry) and datasets registers no backend and
// never loads onnxruntime-node. Vitest runs each test file in its own child process (pool
// "forks"), so the first test sees a process where nothing has been imported yet; the last test
// imports the registering entry to show that both checks do see a backend when one is loaded.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

/** Native add-ons opened (process.dlopen) since the spy was installed: onnxruntime-node's binding is one. */
const opened: string[] = [];
const dlopen = process.dlopen.bind(process);
process.dlopen = (module: { exports: unknown }, filename: string, flags?: number): void => {
  opened.push(filename);
  if (flags === undefined) dlopen(module, filename);
  else dlopen(module, filename, flags);
};

/** Files of onnxruntime (the Node package, or any binding) loaded so far, through require or dlopen. */
function onnxruntimeLoaded(): string[] {
  const required = Object.keys(require.cache).filter((file) => /onnxruntime/i.test(file));
  return [...required, ...opened.filter((file) => /onnxruntime/i.test(file))];
}

async function registeredBackends(): Promise<string[]> {
  const { listBackends } = await import('@aaclip/core');
  return listBackends();
}

describe('importing eval and datasets', () => {
  it('starts from a process with no backend and no onnxruntime', async () => {
    expect(await registeredBackends()).toEqual([]);
    expect(onnxruntimeLoaded()).toEqual([]);
  });

  it("registers nothing and loads no onnxruntime: '@aaclip/eval/browser'", async () => {
    const browser = await import('@aaclip/eval/browser');
    expect(typeof browser.binaryMetrics).toBe('function');
    expect(typeof browser.renderHeatmapOverlay).toBe('function');
    expect(typeof browser.reportHtml).toBe('function');
    expect(await registeredBackends()).toEqual([]);
    expect(onnxruntimeLoaded()).toEqual([]);
  });

  it("registers nothing and loads no onnxruntime: '@aaclip/datasets' and '@aaclip/eval'", async () => {
    const datasets = await import('@aaclip/datasets');
    const evaluation = await import('@aaclip/eval');
    expect(typeof datasets.loadDataset).toBe('function');
    expect(typeof evaluation.evaluateDataset).toBe('function');
    // The Node I/O they use is loaded (sharp is a native add-on), so the spy is live.
    expect(opened.some((file) => /sharp/i.test(file))).toBe(true);
    expect(await registeredBackends()).toEqual([]);
    expect(onnxruntimeLoaded()).toEqual([]);
  });

  it("the checks see a backend once the registering entry '@aaclip/backend-node' is imported", async () => {
    await import('@aaclip/backend-node');
    expect(await registeredBackends()).toContain('node');
    expect(onnxruntimeLoaded()).not.toEqual([]);
  });
});
