// Bundles the demo page (and the in-browser conformance and benchmark pages) with esbuild into demo/dist/.
// The packages are bundled from their TypeScript sources (the "@aaclip/source" condition), so no
// `tsc` build is needed first; onnxruntime-web's wasm runtime stays outside the bundle and is
// served from node_modules (see serveDemo.mjs).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

export const demoDir = path.dirname(fileURLToPath(import.meta.url));
export const demoDistDir = path.join(demoDir, 'dist');

/** Builds demo/dist/{app,conformance,bench}.js; returns the output file paths. */
export async function buildDemo({ minify = false } = {}) {
  const result = await esbuild.build({
    entryPoints: {
      app: path.join(demoDir, 'app/main.ts'),
      conformance: path.join(demoDir, 'app/conformancePage.ts'),
      bench: path.join(demoDir, 'app/benchPage.ts'),
    },
    outdir: demoDistDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    minify,
    metafile: true,
    logLevel: 'warning',
    // Sources of the workspace packages; onnxruntime-web's build that loads its wasm glue from env.wasm.wasmPaths.
    conditions: ['@aaclip/source', 'onnxruntime-web-use-extern-wasm'],
  });
  return Object.keys(result.metafile.outputs).filter((file) => file.endsWith('.js'));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = await buildDemo({ minify: process.argv.includes('--minify') });
  for (const file of files) console.log(`built ${file}`);
}
