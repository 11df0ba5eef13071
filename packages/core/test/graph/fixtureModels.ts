// Test helper: the tiny-aaclip fixture loaded as the model builders take it.
import { readFileSync } from 'node:fs';
import { parseAaclipSettings, parseModelConfig, readSafetensors } from '@aaclip/core';
import type { AaclipSettings, ClipModelConfig, TensorMap } from '@aaclip/core';
import { fixtureFile } from '../../../../test-support/fixture.js';

export interface Fixture {
  config: ClipModelConfig;
  settings: AaclipSettings;
  clip: TensorMap;
  adapters: TensorMap;
  golden: TensorMap;
}

let cached: Fixture | undefined;

const readTensors = (name: string): TensorMap => readSafetensors(new Uint8Array(readFileSync(fixtureFile(name))), name).tensors;

export function loadFixture(): Fixture {
  if (!cached) {
    const json = JSON.parse(readFileSync(fixtureFile('config.json'), 'utf8')) as { model: unknown; image_size: number };
    cached = {
      config: parseModelConfig(json.model, 'config.json').model,
      settings: parseAaclipSettings({ imageSize: json.image_size }, 'config.json'),
      clip: readTensors('clip.safetensors'),
      adapters: readTensors('adapters.safetensors'),
      golden: readTensors('golden.safetensors'),
    };
  }
  return cached;
}

export function goldenFloats(fixture: Fixture, name: string): Float32Array {
  const t = fixture.golden.get(name);
  if (!t || !(t.data instanceof Float32Array)) throw new Error(`golden.safetensors has no F32 tensor "${name}"`);
  return t.data;
}
