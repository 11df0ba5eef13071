// The one loader of the tiny-aaclip golden fixture for tests: its safetensors files as tensor
// maps, the model config and settings as the model builders take them, and the files as bytes
// for the conformance suite. Paths come from fixture.ts.
import { readFileSync } from 'node:fs';
import { parseAaclipSettings, parseModelConfig, readSafetensors } from '@aaclip/core';
import type { AaclipSettings, ClipModelConfig, TensorMap } from '@aaclip/core';
import { CONFORMANCE_FIXTURE_FILES, type ConformanceFixtureFiles } from '@aaclip/core/testing';
import { fixtureFile } from './fixture.js';

export interface Fixture {
  config: ClipModelConfig;
  settings: AaclipSettings;
  clip: TensorMap;
  adapters: TensorMap;
  golden: TensorMap;
}

/** The tensors of any safetensors file (read afresh on every call, so callers may change them). */
export function readTensorFile(file: string, source = file): TensorMap {
  return readSafetensors(new Uint8Array(readFileSync(file)), source).tensors;
}

/** The tensors of one of the fixture's safetensors files, e.g. "golden.safetensors" (read afresh on every call). */
export function fixtureTensors(name: string): TensorMap {
  return readTensorFile(fixtureFile(name), name);
}

let cached: Fixture | undefined;

/** The fixture as the model builders take it (config.json's model and image size), read once per test file. */
export function loadFixture(): Fixture {
  if (!cached) {
    const json = JSON.parse(readFileSync(fixtureFile('config.json'), 'utf8')) as { model: unknown; image_size: number };
    cached = {
      config: parseModelConfig(json.model, 'config.json').model,
      settings: parseAaclipSettings({ imageSize: json.image_size }, 'config.json'),
      clip: fixtureTensors('clip.safetensors'),
      adapters: fixtureTensors('adapters.safetensors'),
      golden: fixtureTensors('golden.safetensors'),
    };
  }
  return cached;
}

/** A float32 tensor of golden.safetensors; throws naming it when there is none. */
export function goldenFloats(fixture: Fixture, name: string): Float32Array {
  const t = fixture.golden.get(name);
  if (!t || !(t.data instanceof Float32Array)) throw new Error(`golden.safetensors has no F32 tensor "${name}"`);
  return t.data;
}

let conformanceFiles: ConformanceFixtureFiles | undefined;

/** The fixture's files as bytes, for the conformance suite (read once per test file). */
export function loadConformanceFiles(): ConformanceFixtureFiles {
  conformanceFiles ??= Object.fromEntries(
    Object.entries(CONFORMANCE_FIXTURE_FILES).map(([key, name]) => [key, new Uint8Array(readFileSync(fixtureFile(name)))]),
  ) as unknown as ConformanceFixtureFiles;
  return conformanceFiles;
}
