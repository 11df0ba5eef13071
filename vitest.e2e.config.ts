import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import os from 'node:os';
import path from 'node:path';

// The disk caches of the commands and detectors under test (optimised graphs, anchors) go to a
// temporary folder, never the user's ~/.cache/aaclip; set before the test processes start, so
// that CLI processes the tests spawn inherit it.
process.env['AACLIP_CACHE'] ??= path.join(os.tmpdir(), 'aaclip-test-cache');

// End-to-end tests: the demo page and the conformance suite in Debian's Chromium (headless, WebGPU
// on SwiftShader where there is no GPU), driven by playwright-core, and the conformance suite on
// onnxruntime-node's WebGPU provider. Slow, so kept out of `npm test`.

// onnxruntime-node's WebGPU provider needs a Vulkan driver; on a machine without a GPU, Chromium's
// SwiftShader (a Vulkan driver running on the CPU, with its loader) stands in. Set here, before the
// test processes start, because the dynamic loader reads LD_LIBRARY_PATH only at process start.
// A machine that sets VK_ICD_FILENAMES itself keeps its own driver.
const chromiumLibDir = '/usr/lib/chromium';
const swiftshaderIcd = `${chromiumLibDir}/vk_swiftshader_icd.json`;
if (!process.env.VK_ICD_FILENAMES && existsSync(swiftshaderIcd)) {
  process.env.VK_ICD_FILENAMES = swiftshaderIcd;
  process.env.LD_LIBRARY_PATH = [process.env.LD_LIBRARY_PATH, chromiumLibDir].filter(Boolean).join(':');
}

export default defineConfig({
  resolve: { conditions: ['@aaclip/source'] },
  ssr: { resolve: { conditions: ['@aaclip/source'] } },
  test: {
    include: ['packages/*/test/e2e/**/*.e2e.ts', 'packages/backend-node/test/conformance.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // expect.poll waits for a page to react (an image decoded, a button enabled). Its 1 s default
    // is too short on a machine whose cores other jobs share; a real failure still shows, later.
    expect: { poll: { timeout: 60_000, interval: 100 } },
    pool: 'forks',
    // One at a time: the software GPU is CPU-bound.
    fileParallelism: false,
  },
});
