import { defineConfig } from 'vitest/config';
import os from 'node:os';
import path from 'node:path';

// The disk caches of the commands and detectors under test (optimised graphs, anchors) go to a
// temporary folder, never the user's ~/.cache/aaclip; set before the test processes start, so
// that CLI processes the tests spawn inherit it.
process.env['AACLIP_CACHE'] ??= path.join(os.tmpdir(), 'aaclip-test-cache');

// Tests run on the packages' TypeScript sources (the "@aaclip/source" export condition),
// so `npm test` needs no build step.
export default defineConfig({
  resolve: { conditions: ['@aaclip/source'] },
  ssr: { resolve: { conditions: ['@aaclip/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
