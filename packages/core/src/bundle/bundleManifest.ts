// The manifest of an exported bundle (`aaclip-bundle.json`): what the folder holds and how to run
// it. A bundle is untrusted input wherever it comes from, so every field is bounded and every file
// name is a plain name inside the bundle folder; the sha256 and size of each file are checked when
// the bundle is opened (see openBundle).
import { z } from 'zod';
import { AaclipError } from '../errors/aaclipError.js';
import { AaclipSettings } from '../config/aaclipSettings.js';
import { ClipModelConfig, PreprocessConfig } from '../config/modelConfig.js';
import { PromptSet } from '../config/promptSet.js';
import { Precision } from '../config/precision.js';
import { parseWithSchema } from '../config/zodIssue.js';

/** The manifest's file name inside a bundle folder. */
export const BUNDLE_MANIFEST_FILE = 'aaclip-bundle.json';
/** The value of the manifest's `format` field. */
export const BUNDLE_FORMAT = 'aaclip-bundle';
/** The manifest layout this code writes and reads. */
export const BUNDLE_FORMAT_VERSION = 1;

/** Limits on what a manifest may describe: far above any real bundle, far below what would hurt. */
export const BUNDLE_LIMITS = {
  /** Bytes of the manifest itself. */
  manifestBytes: 4 * 1024 * 1024,
  /** Files listed. */
  files: 256,
  /** Bytes of one listed file (64 GiB: a ViT-bigG in float32 is under 10 GiB). */
  fileBytes: 64 * 1024 ** 3,
  /** Precomputed classes. */
  classes: 10_000,
  /** Characters of a class name, a description, a URL or any other text field. */
  text: 2048,
} as const;


const text = z.string().max(BUNDLE_LIMITS.text);

/**
 * A file name inside the bundle folder: no folders, not hidden, no "..", nothing a file system
 * reads specially; 1–255 characters of letters, digits, "_", "-", ".".
 */
export const BundleFileName = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/, { message: 'must be a plain file name (letters, digits, "_", "-", "."; no folders)' })
  .refine((name) => !name.includes('..') && name !== BUNDLE_MANIFEST_FILE, { message: 'must be a plain file name inside the bundle' });

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, { message: 'must be 64 lowercase hex digits' });

/** One file of the bundle with its size and hash. */
export const BundleFile = z.strictObject({
  path: BundleFileName,
  size: z.number().int().nonnegative().max(BUNDLE_LIMITS.fileBytes),
  sha256: Sha256,
});
export type BundleFile = z.infer<typeof BundleFile>;

/** One input or output of a graph, described for any ONNX Runtime user. */
export const BundleTensorSpec = z.strictObject({
  name: text,
  dtype: z.enum(['float32', 'float16', 'int64']),
  /** Dimensions: a number, or a name for a dimension the caller chooses ("batch", "n"). */
  shape: z.array(z.union([z.number().int().nonnegative(), text])).max(8),
  meaning: text,
});
export type BundleTensorSpec = z.infer<typeof BundleTensorSpec>;

/** One ONNX graph of the bundle: its file, the external-data files it reads, inputs and outputs. */
export const BundleGraph = z.strictObject({
  file: BundleFileName,
  externalData: z.array(BundleFileName).max(64),
  inputs: z.array(BundleTensorSpec).min(1).max(64),
  outputs: z.array(BundleTensorSpec).min(1).max(64),
});
export type BundleGraph = z.infer<typeof BundleGraph>;

/** Where a source file of the bundle came from (the files it was exported from). */
export const BundleSource = z.strictObject({
  /** What the file was: 'model config', 'weights', 'adapters', 'vocabulary', 'merges'. */
  role: text,
  /** Its file name (no folders: a bundle does not record the exporting machine's paths). */
  file: text,
  size: z.number().int().nonnegative().max(BUNDLE_LIMITS.fileBytes),
  sha256: Sha256,
  /** Set when the file came from a model hub (see `aaclip pull`). */
  hub: z
    .strictObject({ repo: text, revision: text, commit: text, file: text, url: text })
    .optional(),
});
export type BundleSource = z.infer<typeof BundleSource>;

export const BundleManifest = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  /** A reader refuses a version it does not know. */
  formatVersion: z.literal(BUNDLE_FORMAT_VERSION, { error: (issue) => `${JSON.stringify(issue.input)} is not a bundle version this aaclip reads (it reads ${BUNDLE_FORMAT_VERSION})` }),
  /** The program that wrote it, e.g. "aaclip 0.1.0". */
  producer: text,
  model: z.strictObject({
    /** A readable name of the CLIP backbone, e.g. "ViT-L-14-336" (from the config's sizes). */
    backbone: text,
    /** The open_clip model config the graphs were built from. */
    config: ClipModelConfig,
    /**
     * What the image tower is: 'adapted' (AA-CLIP adapters), 'plain' (CLIP alone) or 'surgery'
     * (the training-free stage-1 feature CLIP); the outputs' names follow from it.
     */
    tower: z.enum(['adapted', 'plain', 'surgery']),
    /** The adapters' projection variant: 'linear', 'leaky-relu' (the reference's --relu), or null without adapters. */
    adapters: z.enum(['linear', 'leaky-relu']).nullable(),
  }),
  /** Side of the square input and of the maps, in pixels (also `settings.imageSize`). */
  imageSize: z.number().int().positive(),
  /** The graphs' numeric precision (see Precision); inputs and outputs stay float32 / int64 whatever it is. */
  precision: Precision.unwrap(),
  /** Every AA-CLIP setting the graphs were built with; `domain` is only a default (it changes scoring, not the graphs). */
  settings: AaclipSettings,
  /** How an image becomes the vision input (open_clip's preprocess config). */
  preprocess: PreprocessConfig,
  /** The prompts the anchors are made from; new class names use the text graph with these. */
  prompts: PromptSet,
  graphs: z.strictObject({ vision: BundleGraph, text: BundleGraph }),
  tokenizer: z.strictObject({
    /** 'bpe-gz' (bpe_simple_vocab_16e6.txt.gz), 'bpe-text', or 'hf-json' (vocab.json + merges.txt). */
    kind: z.enum(['bpe-gz', 'bpe-text', 'hf-json']),
    vocabulary: BundleFileName,
    merges: BundleFileName.optional(),
    contextLength: z.number().int().positive(),
  }),
  anchors: z.strictObject({
    /** A safetensors file with one F32 [embed, 2] tensor per class (column 0 normal, 1 anomalous). */
    file: BundleFileName.nullable(),
    classes: z
      .array(z.strictObject({ name: text.min(1), tensor: text.min(1) }))
      .max(BUNDLE_LIMITS.classes),
  }),
  files: z.array(BundleFile).min(1).max(BUNDLE_LIMITS.files),
  sources: z.array(BundleSource).max(64),
});
export type BundleManifest = z.infer<typeof BundleManifest>;

/**
 * Parses and checks a manifest's bytes: size bound, JSON, schema, and that every file the graphs,
 * tokenizer and anchors name is listed once in `files`. Errors are one line naming `source`.
 */
export function parseBundleManifest(bytes: Uint8Array, source: string): BundleManifest {
  if (bytes.length > BUNDLE_LIMITS.manifestBytes) {
    throw new AaclipError(`is ${bytes.length} bytes, over the ${BUNDLE_LIMITS.manifestBytes}-byte limit for a bundle manifest`, source);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new AaclipError(`not valid JSON (${err instanceof Error ? err.message : String(err)})`, source);
  }
  const manifest = parseWithSchema(BundleManifest, json, source);
  checkFileReferences(manifest, source);
  return manifest;
}

/** Every file a bundle reads, each listed once in `files`. */
function checkFileReferences(manifest: BundleManifest, source: string): void {
  const listed = new Set<string>();
  for (const file of manifest.files) {
    if (listed.has(file.path)) throw new AaclipError(`files: "${file.path}" is listed twice`, source);
    listed.add(file.path);
  }
  const { vision, text: textGraph } = manifest.graphs;
  const referenced = [
    ['graphs.vision.file', vision.file],
    ...vision.externalData.map((f) => ['graphs.vision.externalData', f] as const),
    ['graphs.text.file', textGraph.file],
    ...textGraph.externalData.map((f) => ['graphs.text.externalData', f] as const),
    ['tokenizer.vocabulary', manifest.tokenizer.vocabulary],
    ...(manifest.tokenizer.merges ? [['tokenizer.merges', manifest.tokenizer.merges] as const] : []),
    ...(manifest.anchors.file ? [['anchors.file', manifest.anchors.file] as const] : []),
  ] as const;
  for (const [field, name] of referenced) {
    if (!listed.has(name)) throw new AaclipError(`${field}: "${name}" is not listed in files`, source);
  }
  if (manifest.tokenizer.kind === 'hf-json' && !manifest.tokenizer.merges) {
    throw new AaclipError('tokenizer.merges: a vocab.json tokenizer needs its merges file', source);
  }
  if (manifest.settings.imageSize !== manifest.imageSize) {
    throw new AaclipError(`imageSize ${manifest.imageSize} differs from settings.imageSize ${manifest.settings.imageSize}`, source);
  }
  if (manifest.anchors.classes.length > 0 && !manifest.anchors.file) {
    throw new AaclipError('anchors.classes: classes are listed but anchors.file is null', source);
  }
  const names = new Set<string>();
  for (const c of manifest.anchors.classes) {
    if (names.has(c.name)) throw new AaclipError(`anchors.classes: "${c.name}" is listed twice`, source);
    names.add(c.name);
  }
}
