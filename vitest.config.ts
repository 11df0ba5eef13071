import { defineConfig } from 'vitest/config';

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
