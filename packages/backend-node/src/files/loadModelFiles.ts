import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  AaclipError,
  ClipTokenizer,
  parseModelConfig,
  readSafetensors,
  readTorchCheckpoint,
  type DetectorModel,
  type TensorMap,
} from '@aaclip/core';

/** The files a detector is made of. `adapters` may list several files (e.g. the reference's two .pth files). */
export interface ModelFiles {
  readonly modelConfig: string;
  readonly weights: string;
  readonly adapters: readonly string[];
  readonly vocab: string;
}

/** File names looked for in a `--model <dir>` folder (Hugging Face open_clip layout plus AA-CLIP's adapters). */
export const MODEL_DIR_FILES = {
  config: ['open_clip_config.json', 'config.json'],
  weights: ['open_clip_model.safetensors', 'model.safetensors', 'open_clip_pytorch_model.bin'],
  adapters: ['aaclip_adapters.safetensors', 'adapters.safetensors'],
  vocab: ['bpe_simple_vocab_16e6.txt.gz', 'vocab.json'],
} as const;

async function isFile(file: string): Promise<boolean> {
  return stat(file).then((s) => s.isFile(), () => false);
}

async function firstExisting(dir: string, names: readonly string[]): Promise<string | null> {
  for (const name of names) if (await isFile(path.join(dir, name))) return path.join(dir, name);
  return null;
}

/** Finds the model files in a folder; a missing required file is an error naming the folder. */
export async function findModelFiles(dir: string): Promise<ModelFiles> {
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new AaclipError('not a folder', dir);
  const need = async (kind: 'config' | 'weights' | 'vocab'): Promise<string> => {
    const found = await firstExisting(dir, MODEL_DIR_FILES[kind]);
    if (!found) throw new AaclipError(`no ${kind} file (looked for ${MODEL_DIR_FILES[kind].join(', ')})`, dir);
    return found;
  };
  const adapters = await firstExisting(dir, MODEL_DIR_FILES.adapters);
  return { modelConfig: await need('config'), weights: await need('weights'), adapters: adapters ? [adapters] : [], vocab: await need('vocab') };
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    const buf = await readFile(file);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AaclipError(code === 'ENOENT' ? 'no such file' : `cannot read the file (${code ?? String(err)})`, file);
  }
}

/**
 * Reads a weights file: safetensors, or a PyTorch zip checkpoint (.pth/.bin) through the
 * restricted reader that accepts tensors and plain containers only — nothing in it is executed.
 */
export async function readWeightsFile(file: string): Promise<TensorMap> {
  const bytes = await readBytes(file);
  const isZip = bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
  if (isZip) return readTorchCheckpoint(bytes, file);
  return readSafetensors(bytes, file).tensors;
}

/** Reads the model config (plain open_clip JSON or Hugging Face's open_clip_config.json). */
export async function readModelConfig(file: string): Promise<ReturnType<typeof parseModelConfig>> {
  const text = new TextDecoder().decode(await readBytes(file));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AaclipError(`not valid JSON (${(err as Error).message})`, file);
  }
  return parseModelConfig(json, file);
}

/** Loads the BPE vocabulary: `bpe_simple_vocab_16e6.txt.gz`, its unzipped text, or Hugging Face `vocab.json` (+ `merges.txt` beside it). */
export async function loadTokenizer(file: string): Promise<ClipTokenizer> {
  const bytes = await readBytes(file);
  try {
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) return await ClipTokenizer.fromGzippedBpe(bytes);
    if (path.basename(file).endsWith('.json')) {
      const mergesFile = path.join(path.dirname(file), 'merges.txt');
      const merges = new TextDecoder().decode(await readBytes(mergesFile));
      return ClipTokenizer.fromHuggingFace(JSON.parse(new TextDecoder().decode(bytes)) as Record<string, number>, merges);
    }
    return ClipTokenizer.fromBpeText(new TextDecoder().decode(bytes));
  } catch (err) {
    if (err instanceof AaclipError && err.source) throw err;
    throw new AaclipError(`not a CLIP BPE vocabulary (${(err as Error).message.split('\n')[0]})`, file);
  }
}

/** Reads every file of a model into what `AnomalyDetector.create` takes. */
export async function loadModelFiles(files: ModelFiles): Promise<DetectorModel> {
  const { model: config, preprocess } = await readModelConfig(files.modelConfig);
  const weights = await readWeightsFile(files.weights);
  let adapters: TensorMap | null = null;
  for (const file of files.adapters) {
    adapters ??= new Map();
    for (const [key, tensor] of await readWeightsFile(file)) adapters.set(key, tensor);
  }
  const tokenizer = await loadTokenizer(files.vocab);
  return {
    config,
    preprocess,
    weights,
    adapters,
    tokenizer,
    sources: { weights: files.weights, adapters: files.adapters.join(' + ') },
  };
}
