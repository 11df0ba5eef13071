// Exports a detector as a self-contained bundle: both ONNX graphs with their external data, the
// tokenizer, anchors precomputed for the given classes, and the manifest describing all of it
// (see bundleManifest.ts). No I/O here: the caller writes the files (manifest last).
import { AaclipError } from '../errors/aaclipError.js';
import type { AaclipSettingsInput } from '../config/aaclipSettings.js';
import { visionGrid } from '../config/modelConfig.js';
import { DEFAULT_PROMPT_SET, parsePromptSet, type PromptSet } from '../config/promptSet.js';
import type { ZeroShotMode } from '../config/zeroShotMode.js';
import { resolveBackend } from '../backend/registry.js';
import type { TensorMap } from '../tensor/tensor.js';
import { writeSafetensors } from '../weights/safetensors.js';
import { buildDetectorModels, type DetectorModel, type DetectorSetupStage } from '../pipeline/buildDetectorModels.js';
import type { VisionTowerKind } from '../pipeline/detectorIo.js';
import type { NamedBytes } from '../pipeline/detectorModelFromBytes.js';
import { promptAnchors } from '../prompts/promptAnchors.js';
import { backboneName } from './backboneName.js';
import { describeTextGraph, describeVisionGraph } from './graphSpecs.js';
import {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  BUNDLE_LIMITS,
  BundleManifest,
  type BundleFile,
  type BundleSource,
} from './bundleManifest.js';
import type { Precision } from '../config/precision.js';
import type { DeviceCapabilities } from '../backend/backend.js';
import { float16 } from '../graph/passes/float16.js';
import { int8 } from '../graph/passes/quantizeInt8.js';
import { parseWithSchema } from '../config/zodIssue.js';
import { webCryptoSha256, type Sha256Function } from './sha256.js';

/** Export stages, in order (the detector's build stages come between 'checking' and 'anchors'). */
export type BundleExportStage = DetectorSetupStage | 'computing anchors' | 'hashing files';

export interface BundleExportOptions {
  /** AA-CLIP settings the graphs are built for (image size, levels, …); omitted fields: the paper's. */
  readonly settings?: AaclipSettingsInput;
  /** The baseline without adapters ('plain' or 'surgery'); an error with adapters. */
  readonly zeroShot?: ZeroShotMode;
  /**
   * Numeric precision of the graphs (default 'fp32'; see Precision). 'int8' needs onnxruntime's
   * com.microsoft DynamicQuantizeMatMul; the text graph of an int8 bundle stays fp32.
   */
  readonly precision?: Precision;
  /** Class (prompt) names whose anchors are precomputed; others still work through the text graph. */
  readonly classNames?: readonly string[];
  /** Prompt states and templates (default AA-CLIP's ensemble); recorded in the manifest. */
  readonly promptSet?: PromptSet;
  /** The vocabulary file as read (and the merges.txt of a vocab.json), copied into the bundle. */
  readonly vocabulary: NamedBytes;
  readonly merges?: NamedBytes;
  /** Where the model's files came from (name, size, sha256, hub provenance). */
  readonly sources?: readonly BundleSource[];
  /** Backend and device that run the text graph for the anchors (default: by priority). */
  readonly backend?: string;
  readonly device?: string;
  readonly threads?: number;
  /** Written into the manifest's `producer`, e.g. "aaclip 0.1.0". */
  readonly producer?: string;
  /** The hash used for the files (default Web Crypto). */
  readonly sha256?: Sha256Function;
  readonly onProgress?: (stage: BundleExportStage) => void;
}

/** A bundle in memory: its files (paths relative to the bundle folder) and its manifest. */
export interface BundleContents {
  readonly manifest: BundleManifest;
  /** Every file but the manifest, in the order the manifest lists them. */
  readonly files: readonly { readonly path: string; readonly data: Uint8Array }[];
}

/** File names inside a bundle. */
export const BUNDLE_FILES = {
  vision: 'vision.onnx',
  text: 'text.onnx',
  anchors: 'anchors.safetensors',
} as const;

const isGzip = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** The tokenizer's kind and the names its files get in the bundle. */
function tokenizerFiles(vocabulary: NamedBytes, merges: NamedBytes | undefined): { kind: 'bpe-gz' | 'bpe-text' | 'hf-json'; files: { path: string; data: Uint8Array }[] } {
  if (isGzip(vocabulary.bytes)) return { kind: 'bpe-gz', files: [{ path: 'bpe_simple_vocab_16e6.txt.gz', data: vocabulary.bytes }] };
  const start = new TextDecoder().decode(vocabulary.bytes.subarray(0, 64)).trimStart();
  if (start.startsWith('{')) {
    if (!merges) throw new AaclipError('a Hugging Face vocab.json needs its merges.txt', vocabulary.name);
    return { kind: 'hf-json', files: [{ path: 'vocab.json', data: vocabulary.bytes }, { path: 'merges.txt', data: merges.bytes }] };
  }
  return { kind: 'bpe-text', files: [{ path: 'bpe_simple_vocab_16e6.txt', data: vocabulary.bytes }] };
}

/** The adapters' projection form, read from their keys (the reference's --relu stores `fc.0.weight`). */
function adapterVariant(adapters: TensorMap | null): 'linear' | 'leaky-relu' | null {
  if (!adapters) return null;
  for (const key of adapters.keys()) if (/(seg_proj\.\d+|det_proj)\.fc\.0\.weight$/.test(key)) return 'leaky-relu';
  return 'linear';
}

/** What a bundle's graphs may use: plain ONNX ops, plus the operators of its precision's pass. */
function portableCapabilities(precision: Precision): DeviceCapabilities {
  const pass = precision === 'fp16' ? float16 : precision === 'int8' ? int8 : null;
  return { ops: pass ? [...pass.needsOps] : [], precisions: ['fp32', precision] };
}

function checkClassNames(names: readonly string[]): string[] {
  if (names.length > BUNDLE_LIMITS.classes) throw new AaclipError(`${names.length} classes, over the limit of ${BUNDLE_LIMITS.classes}`, 'classNames');
  const unique: string[] = [];
  for (const name of names) {
    if (name.trim() === '') throw new AaclipError('a class name is empty', 'classNames');
    if (name.length > BUNDLE_LIMITS.text) throw new AaclipError(`a class name has ${name.length} characters, over the limit of ${BUNDLE_LIMITS.text}`, 'classNames');
    if (!unique.includes(name)) unique.push(name);
  }
  return unique;
}

/**
 * Builds a bundle from a model read into memory: both graphs (external data packed into
 * "<graph>.onnx.data" files beside each), the tokenizer files, the anchors of `classNames`
 * computed with the text graph on a backend, and the manifest with every file's size and sha256.
 */
export async function buildBundle(model: DetectorModel, options: BundleExportOptions): Promise<BundleContents> {
  const progress = options.onProgress ?? (() => {});
  const precision = options.precision ?? 'fp32';
  const promptSet = options.promptSet === undefined ? DEFAULT_PROMPT_SET : parsePromptSet(options.promptSet, 'promptSet');
  const classNames = checkClassNames(options.classNames ?? []);
  const tokenizer = tokenizerFiles(options.vocabulary, options.merges);

  // Packed external data: one file per graph (more past 1 GiB), every initializer of 1 KiB or more.
  // No fusions (a bundle runs on any onnxruntime device); only the precision's own pass.
  const built = buildDetectorModels(model, {
    ...(options.settings ? { settings: options.settings } : {}),
    ...(options.zeroShot ? { zeroShot: options.zeroShot } : {}),
    precision,
    rewrites: false,
    capabilities: portableCapabilities(precision),
    externalData: { externalDataLayout: 'packed', externalDataThreshold: 1024 },
    onProgress: progress,
  });
  const tower: VisionTowerKind = built.tower;

  progress('computing anchors');
  const anchors: TensorMap = new Map();
  const anchorClasses: { name: string; tensor: string }[] = [];
  if (classNames.length > 0) {
    const { backend, device } = await resolveBackend({ backend: options.backend, device: options.device });
    const session = await backend.createSession(built.text, { device, ...(options.threads === undefined ? {} : { threads: options.threads }) });
    try {
      const input = { textSession: session, tokenizer: model.tokenizer, contextLength: model.config.text_cfg.context_length, embedDim: model.config.embed_dim, promptSet };
      for (const [i, name] of classNames.entries()) {
        const tensor = `class.${i}`;
        anchors.set(tensor, { dtype: 'F32', shape: [model.config.embed_dim, 2], data: await promptAnchors(input, name) });
        anchorClasses.push({ name, tensor });
      }
    } finally {
      await session.dispose();
    }
  }

  const files: { path: string; data: Uint8Array }[] = [
    { path: BUNDLE_FILES.vision, data: built.vision.model },
    ...built.vision.externalData.map((f) => ({ path: f.path, data: f.data })),
    { path: BUNDLE_FILES.text, data: built.text.model },
    ...built.text.externalData.map((f) => ({ path: f.path, data: f.data })),
    ...tokenizer.files,
    ...(anchorClasses.length > 0 ? [{ path: BUNDLE_FILES.anchors, data: writeSafetensors(anchors, { format: 'aaclip-anchors' }) }] : []),
  ];

  progress('hashing files');
  const sha256 = options.sha256 ?? webCryptoSha256;
  const listed: BundleFile[] = [];
  for (const file of files) listed.push({ path: file.path, size: file.data.byteLength, sha256: await sha256(file.data) });

  const settings = built.settings;
  const grid = visionGrid(model.config, settings.imageSize);
  const manifest = {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    producer: options.producer ?? 'aaclip',
    model: { backbone: backboneName(model.config), config: model.config, tower, adapters: adapterVariant(model.adapters) },
    imageSize: settings.imageSize,
    precision,
    settings,
    preprocess: model.preprocess,
    prompts: promptSet,
    graphs: {
      vision: {
        file: BUNDLE_FILES.vision,
        externalData: built.vision.externalData.map((f) => f.path),
        ...describeVisionGraph(tower, settings, grid, model.config.embed_dim),
      },
      text: {
        file: BUNDLE_FILES.text,
        externalData: built.text.externalData.map((f) => f.path),
        ...describeTextGraph(model.config.text_cfg.context_length, model.config.embed_dim),
      },
    },
    tokenizer: {
      kind: tokenizer.kind,
      vocabulary: tokenizer.files[0]!.path,
      ...(tokenizer.files[1] ? { merges: tokenizer.files[1].path } : {}),
      contextLength: model.config.text_cfg.context_length,
    },
    anchors: { file: anchorClasses.length > 0 ? BUNDLE_FILES.anchors : null, classes: anchorClasses },
    files: listed,
    sources: [...(options.sources ?? [])],
  };
  // What is written must read back: the same schema the reader applies.
  return { manifest: parseWithSchema(BundleManifest, manifest, 'bundle manifest'), files };
}
