import { defineConfig } from 'vitest/config';

// End-to-end tests: the demo page and the conformance suite in Debian's Chromium (headless, WebGPU
// on SwiftShader where there is no GPU), driven by playwright-core. Slow, so kept out of `npm test`.
export default defineConfig({
  resolve: { conditions: ['@aaclip/source'] },
  ssr: { resolve: { conditions: ['@aaclip/source'] } },
  test: {
    include: ['packages/*/test/e2e/**/*.e2e.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // One browser at a time: the software GPU is CPU-bound.
    fileParallelism: false,
  },
});
