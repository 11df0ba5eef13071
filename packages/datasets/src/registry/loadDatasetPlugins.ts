import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { AaclipError } from '@aaclip/core';

/** The URL to import a plugin from: a path against `from`, a package name from `from`'s node_modules. */
function pluginUrl(specifier: string, from: string): string {
  if (specifier.startsWith('.') || path.isAbsolute(specifier)) return pathToFileURL(path.resolve(from, specifier)).href;
  try {
    return pathToFileURL(createRequire(path.join(from, 'package.json')).resolve(specifier)).href;
  } catch {
    return specifier; // e.g. an import-only package: let import() resolve it from here
  }
}

/**
 * Imports plugin modules for their side effect of calling `registerDataset`. A specifier that
 * is a path ("./my-format.js") is resolved against `from` (default: the current folder), a
 * package name from `from`'s node_modules.
 */
export async function loadDatasetPlugins(specifiers: readonly string[], from = process.cwd()): Promise<void> {
  for (const specifier of specifiers) {
    try {
      await import(pluginUrl(specifier, from));
    } catch (err) {
      const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
      throw new AaclipError(`cannot load the dataset plugin (${message})`, specifier);
    }
  }
}
