import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  AaclipError,
  detectorModelFromBytes,
  parseModelConfigBytes,
  readWeightsBytes,
  tokenizerFromBytes,
  type ClipTokenizer,
  type DetectorModel,
  type NamedBytes,
  type ParsedModelConfig,
  type TensorMap,
} from '@aaclip/core';
import { readRegularFile, type InputFileKind } from './readRegularFile.js';

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

/** What a model folder holds of each kind; a kind it lacks is absent (see `findModelFiles`). */
export interface FoundModelFiles {
  readonly modelConfig?: string;
  readonly weights?: string;
  readonly adapters: readonly string[];
  readonly vocab?: string;
}

/** The model files a folder holds, any of them possibly missing (flags may name the rest). */
export async function scanModelFolder(dir: string): Promise<FoundModelFiles> {
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new AaclipError('not a folder', dir);
  const [modelConfig, weights, adapters, vocab] = await Promise.all(
    (['config', 'weights', 'adapters', 'vocab'] as const).map((kind) => firstExisting(dir, MODEL_DIR_FILES[kind])),
  );
  return {
    ...(modelConfig ? { modelConfig } : {}),
    ...(weights ? { weights } : {}),
    adapters: adapters ? [adapters] : [],
    ...(vocab ? { vocab } : {}),
  };
}

/** The problem to report when a folder lacks a required kind of file. */
export function missingModelFileProblem(kind: 'config' | 'weights' | 'vocab'): string {
  return `no ${kind} file (looked for ${MODEL_DIR_FILES[kind].join(', ')})`;
}

/** Finds the model files in a folder; a missing required file is an error naming the folder. */
export async function findModelFiles(dir: string): Promise<ModelFiles> {
  const found = await scanModelFolder(dir);
  const need = (kind: 'config' | 'weights' | 'vocab', file: string | undefined): string => {
    if (!file) throw new AaclipError(missingModelFileProblem(kind), dir);
    return file;
  };
  return { modelConfig: need('config', found.modelConfig), weights: need('weights', found.weights), adapters: found.adapters, vocab: need('vocab', found.vocab) };
}

/** A model file's bytes with its name; only regular files within the kind's size limit are read. */
const named = async (file: string, kind: InputFileKind): Promise<NamedBytes> => ({ name: file, bytes: await readRegularFile(file, kind) });

/**
 * Reads a weights file: safetensors, or a PyTorch zip checkpoint (.pth/.bin) through the
 * restricted reader that accepts tensors and plain containers only — nothing in it is executed.
 */
export async function readWeightsFile(file: string): Promise<TensorMap> {
  return readWeightsBytes(await named(file, 'weights'));
}

/** Reads the model config (plain open_clip JSON or Hugging Face's open_clip_config.json). */
export async function readModelConfig(file: string): Promise<ParsedModelConfig> {
  return parseModelConfigBytes(await named(file, 'model config'));
}

/** The Hugging Face merges file that goes with a `vocab.json`, if that is what `vocab` is. */
async function mergesFor(vocab: string): Promise<NamedBytes | undefined> {
  if (!path.basename(vocab).endsWith('.json')) return undefined;
  return named(path.join(path.dirname(vocab), 'merges.txt'), 'vocabulary');
}

/** Loads the BPE vocabulary: `bpe_simple_vocab_16e6.txt.gz`, its unzipped text, or Hugging Face `vocab.json` (+ `merges.txt` beside it). */
export async function loadTokenizer(file: string): Promise<ClipTokenizer> {
  return tokenizerFromBytes(await named(file, 'vocabulary'), await mergesFor(file));
}

/** Reads every file of a model into what `AnomalyDetector.create` takes. */
export async function loadModelFiles(files: ModelFiles): Promise<DetectorModel> {
  return detectorModelFromBytes({
    config: await named(files.modelConfig, 'model config'),
    weights: await named(files.weights, 'weights'),
    vocabulary: await named(files.vocab, 'vocabulary'),
    merges: await mergesFor(files.vocab),
    adapters: await Promise.all(files.adapters.map((file) => named(file, 'weights'))),
  });
}
