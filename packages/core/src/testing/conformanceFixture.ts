// The golden fixture (tiny-aaclip) as the conformance suite reads it: from bytes, so the same code
// runs in Node (files read from disk) and in a browser (files fetched).
import { parseAaclipSettings, type AaclipSettings } from '../config/aaclipSettings.js';
import { parseModelConfig, type ClipModelConfig } from '../config/modelConfig.js';
import { DEFAULT_PROMPT_SET, expandPrompts } from '../config/promptSet.js';
import { AaclipError } from '../errors/aaclipError.js';
import type { Tensor, TensorMap } from '../tensor/tensor.js';
import { shapeToString } from '../tensor/tensor.js';
import { readSafetensors } from '../weights/safetensors.js';

/** File names of the fixture folder the suite needs (keys of ConformanceFixtureFiles). */
export const CONFORMANCE_FIXTURE_FILES = {
  config: 'config.json',
  clip: 'clip.safetensors',
  adapters: 'adapters.safetensors',
  golden: 'golden.safetensors',
} as const;

export type ConformanceFixtureFiles = { readonly [K in keyof typeof CONFORMANCE_FIXTURE_FILES]: Uint8Array };

export interface ConformanceFixture {
  readonly config: ClipModelConfig;
  readonly settings: AaclipSettings;
  readonly clip: TensorMap;
  readonly adapters: TensorMap;
  readonly golden: TensorMap;
  /** Prompts per state in `prompt_tokens` (normal first). */
  readonly normalCount: number;
  readonly abnormalCount: number;
}

interface FixtureRunConfig {
  model: unknown;
  image_size: number;
  domain: string;
  real_name: string;
}

function parseRunConfig(bytes: Uint8Array): FixtureRunConfig {
  const source = CONFORMANCE_FIXTURE_FILES.config;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new AaclipError(`not valid JSON (${err instanceof Error ? err.message : String(err)})`, source);
  }
  const run = json as Partial<FixtureRunConfig> | null;
  if (!run || typeof run !== 'object' || !run.model || typeof run.image_size !== 'number' || typeof run.domain !== 'string' || typeof run.real_name !== 'string') {
    throw new AaclipError('expected the fixture run config (model, image_size, domain, real_name)', source);
  }
  return run as FixtureRunConfig;
}

/** Parses the fixture files; every problem is an AaclipError naming the file. */
export function parseConformanceFixture(files: ConformanceFixtureFiles): ConformanceFixture {
  const run = parseRunConfig(files.config);
  const read = (key: 'clip' | 'adapters' | 'golden'): TensorMap => readSafetensors(files[key], CONFORMANCE_FIXTURE_FILES[key]).tensors;
  // The fixture's domain is spelled as the reference prints it ("Industrial").
  const settings = parseAaclipSettings({ imageSize: run.image_size, domain: run.domain.toLowerCase() }, CONFORMANCE_FIXTURE_FILES.config);
  const { normalCount, abnormalCount } = expandPrompts(DEFAULT_PROMPT_SET, run.real_name);
  return {
    config: parseModelConfig(run.model, CONFORMANCE_FIXTURE_FILES.config).model,
    settings,
    clip: read('clip'),
    adapters: read('adapters'),
    golden: read('golden'),
    normalCount,
    abnormalCount,
  };
}

/** A golden tensor of the expected dtype and shape. */
export function goldenTensor(fixture: ConformanceFixture, name: string, dtype: 'F32' | 'I64', shape: readonly number[]): Tensor {
  const tensor = fixture.golden.get(name);
  const source = CONFORMANCE_FIXTURE_FILES.golden;
  if (!tensor) throw new AaclipError(`missing tensor "${name}"`, source);
  if (tensor.dtype !== dtype || shapeToString(tensor.shape) !== shapeToString(shape)) {
    throw new AaclipError(`tensor "${name}" is ${tensor.dtype} ${shapeToString(tensor.shape)}, expected ${dtype} ${shapeToString(shape)}`, source);
  }
  return tensor;
}
