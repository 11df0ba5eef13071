// Node module hooks that run the repository's TypeScript sources directly (for tests that start
// `aaclip` as a separate process): a relative "./x.js" import finds "./x.ts", and .ts files are
// compiled to JavaScript with esbuild as they load. The @aaclip packages resolve to their sources
// through the "@aaclip/source" condition, which the process is started with (--conditions).
import { readFile } from 'node:fs/promises';
import { transform } from 'esbuild';

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    const fromTs = context.parentURL?.endsWith('.ts');
    if (!fromTs || !specifier.startsWith('.') || !specifier.endsWith('.js')) throw err;
    return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
  }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const file = new URL(url);
  const { code } = await transform(await readFile(file, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: file.pathname,
  });
  return { format: 'module', source: code, shortCircuit: true };
}
