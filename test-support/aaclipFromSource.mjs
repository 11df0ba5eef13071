// `node --conditions=@aaclip/source test-support/aaclipFromSource.mjs <command> ...` runs the CLI
// from the TypeScript sources, as bin/aaclip.js runs the built one (see sourceHooks.mjs).
import { register } from 'node:module';

register('./sourceHooks.mjs', import.meta.url);
const { main } = await import('../packages/cli/src/main.ts');
process.exitCode = await main(process.argv.slice(2));
