// `aaclip convert`'s work, usable from the library: any supported checkpoints merged into one set of
// tensors for a safetensors file, with the metadata that records where they came from and, for a
// CLIP state dict, the open_clip config inferred from its shapes.
import { AaclipError } from '../errors/aaclipError.js';
import type { TensorMap } from '../tensor/tensor.js';
import { readCheckpointBytes, type CheckpointFormat } from './checkpointFile.js';
import { stripCommonPrefix } from './clipWeights.js';
import { inferClipConfig, type InferredClipConfig } from './inferClipConfig.js';

export interface ConvertInput {
  /** Names the file in errors and in the metadata. */
  readonly name: string;
  readonly bytes: Uint8Array;
  /** The file's sha256 (hex), recorded in the metadata when given. */
  readonly sha256?: string;
}

export interface ConvertOptions {
  /**
   * Infer the open_clip config: 'auto' (default) when an input is a TorchScript archive (it carries
   * none), 'always' (an error when it cannot be inferred), 'never'.
   */
  readonly inferConfig?: 'auto' | 'always' | 'never';
  /** The activation the inferred config records; default QuickGELU for TorchScript (OpenAI) inputs, else exact GELU. */
  readonly quickGelu?: boolean;
}

export interface ConvertedSource {
  readonly name: string;
  readonly format: CheckpointFormat;
  readonly tensors: number;
  readonly sha256?: string;
}

export interface ConvertedCheckpoint {
  /** Every tensor of every input (a `module.`/`state_dict.` prefix common to a file's keys dropped), dtypes kept. */
  readonly tensors: TensorMap;
  readonly sources: readonly ConvertedSource[];
  /** The inferred config, or null. */
  readonly config: InferredClipConfig | null;
  /** Why no config was inferred in 'auto' mode with a TorchScript input (the weights are converted all the same). */
  readonly configProblem: string | null;
}

/** The safetensors `__metadata__` keys convert writes. */
export const CONVERT_METADATA = {
  /** JSON list of the inputs: `{name, format, tensors, sha256?}`. */
  sources: 'aaclip.converted_from',
  /** The inferred config (open_clip_config.json form, JSON), when there is one. */
  config: 'aaclip.open_clip_config',
} as const;

/**
 * Reads every input (nothing in them is executed) and merges their tensors; a tensor name found in
 * two inputs is an error naming both. Fails with one line naming the file at fault.
 */
export async function convertCheckpoints(inputs: readonly ConvertInput[], options: ConvertOptions = {}): Promise<ConvertedCheckpoint> {
  if (inputs.length === 0) throw new AaclipError('no input checkpoint given', 'convert');
  const tensors: TensorMap = new Map();
  const origin = new Map<string, string>();
  const sources: ConvertedSource[] = [];
  for (const input of inputs) {
    const contents = await readCheckpointBytes(input.bytes, input.name);
    const own = stripCommonPrefix(contents.tensors);
    if (own.size === 0) throw new AaclipError('holds no tensors', input.name);
    for (const [key, tensor] of own) {
      const first = origin.get(key);
      if (first !== undefined) throw new AaclipError(`tensor "${key}" is also in ${first}; convert merges inputs whose tensor names differ`, input.name);
      origin.set(key, input.name);
      tensors.set(key, tensor);
    }
    sources.push({ name: input.name, format: contents.format, tensors: own.size, ...(input.sha256 ? { sha256: input.sha256 } : {}) });
  }
  const mode = options.inferConfig ?? 'auto';
  const torchScript = sources.some((s) => s.format === 'torchscript');
  let config: InferredClipConfig | null = null;
  let configProblem: string | null = null;
  if (mode === 'always' || (mode === 'auto' && torchScript)) {
    const source = sources.map((s) => s.name).join(' + ');
    try {
      config = inferClipConfig(tensors, source, { quickGelu: options.quickGelu ?? torchScript });
    } catch (err) {
      if (mode === 'always' || !(err instanceof AaclipError)) throw err;
      configProblem = err.message;
    }
  }
  return { tensors, sources, config, configProblem };
}

/** The `__metadata__` of a converted file: the sources, the inferred config, and `format: pt` (the Hugging Face convention). */
export function convertedMetadata(converted: ConvertedCheckpoint): Record<string, string> {
  return {
    format: 'pt',
    [CONVERT_METADATA.sources]: JSON.stringify(converted.sources),
    ...(converted.config ? { [CONVERT_METADATA.config]: JSON.stringify(converted.config.json) } : {}),
  };
}
