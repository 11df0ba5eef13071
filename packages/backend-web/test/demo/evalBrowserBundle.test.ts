// The demo page colours its heatmaps with @aaclip/eval's browser entry. Bundling that entry for the
// browser (as demo/buildDemo.mjs does) must succeed — esbuild fails on any Node built-in it meets,
// however deep — and pull in nothing of the Node side: sharp, onnxruntime-node, backend-node, node-io, datasets.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

async function bundleForBrowser(entry: string): Promise<{ inputs: string[]; code: string }> {
  const result = await esbuild.build({
    entryPoints: [entry],
    absWorkingDir: repoRoot,
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    metafile: true,
    logLevel: 'silent',
    conditions: ['@aaclip/source', 'onnxruntime-web-use-extern-wasm'],
  });
  return { inputs: Object.keys(result.metafile.inputs), code: result.outputFiles[0]!.text };
}

const NODE_SIDE = /sharp|onnxruntime-node|packages\/backend-node\/|packages\/node-io\/|packages\/datasets\/|node:/;

describe("@aaclip/eval/browser in a browser bundle", () => {
  it('bundles for the browser with nothing of the Node side', async () => {
    const { inputs, code } = await bundleForBrowser('packages/eval/src/browser.ts');
    expect(inputs.filter((file) => NODE_SIDE.test(file))).toEqual([]);
    expect(inputs).toContain('packages/eval/src/report/heatmapOverlay.ts');
    expect(code).toContain('renderHeatmapRgba');
  });

  it("the demo's heatmap module takes its colours from eval", async () => {
    const { inputs } = await bundleForBrowser('packages/backend-web/demo/app/heatmapOverlay.ts');
    expect(inputs).toContain('packages/eval/src/report/heatmapOverlay.ts');
    expect(inputs.filter((file) => NODE_SIDE.test(file))).toEqual([]);
  });

  it('the check can fail: the Node main entry does not bundle for the browser', async () => {
    await expect(bundleForBrowser('packages/eval/src/index.ts')).rejects.toThrow();
  });
});
