import { AaclipError } from '../errors/aaclipError.js';
import { parseModelConfig, type ParsedModelConfig } from '../config/modelConfig.js';
import type { TensorMap } from '../tensor/tensor.js';
import { ClipTokenizer } from '../tokenizer/clipTokenizer.js';
import { readCheckpointBytes } from '../weights/checkpointFile.js';
import type { DetectorModel } from './buildDetectorModels.js';

/** A file's bytes with the name used in error messages (a file name or a URL). */
export interface NamedBytes {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** The files of a model, already read (picked by the user, or downloaded). */
export interface ModelFileBytes {
  /** open_clip model JSON, or Hugging Face `open_clip_config.json`. */
  readonly config: NamedBytes;
  /** open_clip weights: safetensors, or a PyTorch zip checkpoint. */
  readonly weights: NamedBytes;
  /** `bpe_simple_vocab_16e6.txt.gz`, its unzipped text, or Hugging Face `vocab.json` (with `merges`). */
  readonly vocabulary: NamedBytes;
  /** Hugging Face `merges.txt`, when `vocabulary` is a `vocab.json`. */
  readonly merges?: NamedBytes;
  /** AA-CLIP adapters (one safetensors file, or the reference's two .pth files); empty → plain CLIP. */
  readonly adapters: readonly NamedBytes[];
}

const isGzip = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/**
 * Tensors of a weights file: safetensors, a PyTorch zip checkpoint or a TorchScript archive (OpenAI's
 * CLIP .pt), read without executing anything (see readCheckpointBytes).
 */
export async function readWeightsBytes(file: NamedBytes): Promise<TensorMap> {
  return (await readCheckpointBytes(file.bytes, file.name)).tensors;
}

/** The model config from a JSON file: plain open_clip, or Hugging Face's open_clip_config.json. */
export function parseModelConfigBytes(file: NamedBytes): ParsedModelConfig {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(file.bytes));
  } catch (err) {
    throw new AaclipError(`not valid JSON (${err instanceof Error ? err.message : String(err)})`, file.name);
  }
  return parseModelConfig(json, file.name);
}

/** The CLIP tokenizer from its vocabulary: the gzipped or plain BPE file, or vocab.json + merges.txt. */
export async function tokenizerFromBytes(file: NamedBytes, merges?: NamedBytes): Promise<ClipTokenizer> {
  try {
    if (isGzip(file.bytes)) return await ClipTokenizer.fromGzippedBpe(file.bytes, file.name);
    const text = new TextDecoder().decode(file.bytes);
    if (text.trimStart().startsWith('{')) {
      if (!merges) throw new AaclipError('a Hugging Face vocab.json needs its merges.txt', file.name);
      let vocab: Record<string, number>;
      try {
        vocab = JSON.parse(text) as Record<string, number>;
      } catch (err) {
        throw new AaclipError(`not valid JSON (${err instanceof Error ? err.message : String(err)})`, file.name);
      }
      return ClipTokenizer.fromHuggingFace(vocab, new TextDecoder().decode(merges.bytes), file.name);
    }
    return ClipTokenizer.fromBpeText(text, file.name);
  } catch (err) {
    if (err instanceof AaclipError && err.source) throw err;
    throw new AaclipError(`not a CLIP BPE vocabulary (${(err instanceof Error ? err.message : String(err)).split('\n')[0]})`, file.name);
  }
}

/** Turns model files held in memory into what `AnomalyDetector.create` takes. */
export async function detectorModelFromBytes(files: ModelFileBytes): Promise<DetectorModel> {
  const { model: config, preprocess } = parseModelConfigBytes(files.config);
  const weights = await readWeightsBytes(files.weights);
  let adapters: TensorMap | null = null;
  for (const file of files.adapters) {
    adapters ??= new Map();
    for (const [key, tensor] of await readWeightsBytes(file)) adapters.set(key, tensor);
  }
  const tokenizer = await tokenizerFromBytes(files.vocabulary, files.merges);
  return {
    config,
    preprocess,
    weights,
    adapters,
    tokenizer,
    sources: { weights: files.weights.name, adapters: files.adapters.map((f) => f.name).join(' + ') },
  };
}
