// Runs `aaclip <args>` as its own process straight from the TypeScript sources (the
// "@aaclip/source" export condition, as the tests resolve them), through Vite's module runner:
// tests that need a real CLI process — signals, exit codes, a server on a port — get one
// without a build step. Usage: node test-support/runCliFromSource.mjs <command> [options]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, createServerModuleRunner } from 'vite';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const vite = await createServer({
  configFile: false,
  root: repoRoot,
  logLevel: 'error',
  appType: 'custom',
  server: { middlewareMode: true, hmr: false, watch: null, ws: false },
  optimizeDeps: { noDiscovery: true, include: [] },
  resolve: { conditions: ['@aaclip/source'] },
  ssr: { resolve: { conditions: ['@aaclip/source'] } },
});
const runner = createServerModuleRunner(vite.environments.ssr, { hmr: false });
let code = 1;
try {
  const { main } = await runner.import(path.join(repoRoot, 'packages/cli/src/main.ts'));
  code = await main(process.argv.slice(2));
} finally {
  await runner.close();
  await vite.close();
}
process.exitCode = code;
