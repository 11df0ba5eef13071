import { AaclipError, MAX_IMAGE_SIZE, PRECISIONS, Precision, ZeroShotMode, parseImageSize, type AaclipSettings } from '@aaclip/core';
import { defaultCacheDir, isBundleDir, missingModelFileProblem, readBundleManifest, type ModelFiles } from '@aaclip/backend-node/node-io';
import { modelSourceFromFolderOrHub, type ModelSource } from './hubModel.js';

/** parseArgs option specs shared by every command that runs a model (detect, eval). */
export const MODEL_OPTION_SPECS = {
  model: { type: 'string' },
  'model-config': { type: 'string' },
  weights: { type: 'string' },
  adapters: { type: 'string', multiple: true },
  'zero-shot': { type: 'string' },
  vocab: { type: 'string' },
  'image-size': { type: 'string' },
  domain: { type: 'string' },
  backend: { type: 'string' },
  device: { type: 'string' },
  'batch-size': { type: 'string' },
  threads: { type: 'string' },
  precision: { type: 'string' },
  'no-rewrites': { type: 'boolean' },
  'cache-dir': { type: 'string' },
  'no-cache': { type: 'boolean' },
} as const;

export const MODEL_OPTIONS_HELP = `Model:
  --model <dir>             a folder with open_clip_config.json, open_clip_model.safetensors,
                            optionally aaclip_adapters.safetensors, and the vocabulary
                            (bpe_simple_vocab_16e6.txt.gz, or vocab.json + merges.txt); a file
                            the folder lacks may come from its flag (e.g. --vocab);
                            or a bundle folder from \`aaclip export\` (aaclip-bundle.json: its graphs
                            run as built, every file checked against its sha256; --domain may change)
  --model <preset|org/name[@rev]>
                            a preset (ViT-L-14-336, ViT-L-14, ViT-B-16) or a Hugging Face hub repo id,
                            when no folder of that name exists: fetched into the hub cache as
                            \`aaclip pull\` does (HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE/HF_HOME, HF_HUB_OFFLINE)
  --model-config <json>     open_clip model config (plain, or Hugging Face open_clip_config.json)
  --weights <file>          open_clip weights (.safetensors; PyTorch .pth/.bin or OpenAI's TorchScript .pt,
                            read without executing code; \`aaclip convert\` makes safetensors of them)
  --adapters <file>         AA-CLIP adapters (.safetensors, or the reference's .pth files; repeatable;
                            its --relu variant is recognised from the keys);
                            omitted → a training-free baseline (see --zero-shot)
  --zero-shot <mode>        without adapters: plain (default; CLIP's own patch tokens) or surgery
                            (AA-CLIP's frozen stage-1 feature CLIP: V-V attention in the later
                            blocks, CLS embedding as det token); both against plain CLIP's anchors
  --vocab <file>            CLIP BPE vocabulary (.txt.gz, .txt, or vocab.json with merges.txt beside it)
  --image-size <n>          input size in pixels (default 518; a multiple of the patch size, at most ${MAX_IMAGE_SIZE})
  --domain <d>              industrial | medical (default industrial; sets the map blur)
Runtime:
  --backend <name>          node | web (default: the first that starts)
  --device <name>           cpu | cuda | webgpu (node), wasm | webgpu (web) (default: the backend's preference)
  --batch-size <n>          images per model run (default 1)
  --threads <n>             threads per model run (default: every core)
  --precision <p>           fp32 (default) | int8 (weights quantised per channel, activations per run;
                            CPU, wasm) | fp16 (GPUs: webgpu, cuda; runs on CPU too, not faster);
                            a device that cannot run it is refused with the ones it can
  --no-rewrites             plain ONNX ops: none of the graph fusions (fused attention, GELU) the
                            device would get (for debugging a runtime's fused kernels)
  --cache-dir <dir>         where optimised graphs and text anchors are cached (default $AACLIP_CACHE,
                            else ~/.cache/aaclip); entries are keyed by the model files' contents,
                            settings, precision, device and runtime, and checked before use
  --no-cache                build everything and write no cache`;

export interface ModelOptionValues {
  model?: string;
  'model-config'?: string;
  weights?: string;
  adapters?: string[];
  'zero-shot'?: string;
  vocab?: string;
  'image-size'?: string;
  domain?: string;
  backend?: string;
  device?: string;
  'batch-size'?: string;
  threads?: string;
  precision?: string;
  'no-rewrites'?: boolean;
  'cache-dir'?: string;
  'no-cache'?: boolean;
}

export interface ModelChoice {
  /** The model's files; null when --model is a bundle (see `bundle`). */
  readonly files: ModelFiles | null;
  /** The bundle folder --model names, when it holds an aaclip-bundle.json. */
  readonly bundle?: string;
  readonly settings: Partial<AaclipSettings>;
  /** The baseline run without adapters, when --zero-shot was given. */
  readonly zeroShot?: ZeroShotMode;
  readonly backend?: string;
  readonly device?: string;
  readonly batchSize?: number;
  /** Threads per model run; omitted → every core. */
  readonly threads?: number;
  /** --precision; omitted → fp32. */
  readonly precision?: Precision;
  /** false with --no-rewrites (plain ONNX ops); omitted → the device's fusions. */
  readonly rewrites?: false;
  /** The disk cache folder (optimised graphs, text anchors); null with --no-cache. */
  readonly cacheDir: string | null;
}

export function parsePositiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new AaclipError(`expected a positive integer, got "${value}"`, flag);
  return n;
}

/**
 * The model files the flags name; a folder given with --model fills what the flags leave out.
 * `withAdapters: false` (training) takes no adapters from the folder.
 */
export async function resolveModelFiles(
  values: Pick<ModelOptionValues, 'model' | 'model-config' | 'weights' | 'vocab' | 'adapters'>,
  withAdapters = true,
): Promise<ModelFiles> {
  return (await resolveModelSource(values, withAdapters)).files;
}

/** As resolveModelFiles, with the hub model the files came from when --model named one. */
export async function resolveModelSource(
  values: Pick<ModelOptionValues, 'model' | 'model-config' | 'weights' | 'vocab' | 'adapters'>,
  withAdapters = true,
): Promise<{ readonly files: ModelFiles; readonly hub: ModelSource['hub'] }> {
  // A bundle holds built graphs and no weights: only detect and eval (resolveModelOptions) run one.
  if (values.model !== undefined && (await isBundleDir(values.model))) {
    throw new AaclipError(`${values.model} is a bundle (built graphs, no weights); this command needs the model's own files`, '--model');
  }
  const source = values.model ? await modelSourceFromFolderOrHub(values.model) : null;
  const fromDir = source?.files;
  const pick = (flag: 'model-config' | 'weights' | 'vocab', fallback: string | undefined): string => {
    const value = values[flag] ?? fallback;
    if (value) return value;
    if (values.model === undefined) throw new AaclipError('is required (or give --model <dir>)', `--${flag}`);
    // A folder may lack a file that a flag names instead (e.g. the vocabulary kept elsewhere).
    throw new AaclipError(`${missingModelFileProblem(flag === 'model-config' ? 'config' : flag)}; give --${flag}`, values.model);
  };
  const files: ModelFiles = {
    modelConfig: pick('model-config', fromDir?.modelConfig),
    weights: pick('weights', fromDir?.weights),
    adapters: withAdapters ? (values.adapters ?? fromDir?.adapters ?? []) : [],
    vocab: pick('vocab', fromDir?.vocab),
  };
  return { files, hub: source?.hub ?? null };
}

/** Turns the model flags into files and settings; a folder given with --model fills what the flags leave out. */
export async function resolveModelOptions(values: ModelOptionValues): Promise<ModelChoice> {
  const bundle = values.model !== undefined && (await isBundleDir(values.model)) ? values.model : undefined;
  if (bundle !== undefined) {
    // A bundle's graphs are built: nothing that would rebuild them goes with it.
    for (const flag of ['model-config', 'weights', 'adapters', 'vocab', 'zero-shot'] as const) {
      if (values[flag] !== undefined) throw new AaclipError(`cannot be combined with a bundle (--model ${bundle} holds built graphs; export another bundle instead)`, `--${flag}`);
    }
  }
  const files = bundle === undefined ? await resolveModelFiles(values) : null;
  const zeroShot = files ? zeroShotOption(values['zero-shot'], files.adapters) : undefined;
  const settings: Partial<AaclipSettings> = {};
  const imageSize = parsePositiveInt(values['image-size'], '--image-size');
  // Checked here, against the settings' bound, so the error names the flag rather than "settings".
  if (imageSize !== undefined) settings.imageSize = parseImageSize(imageSize, '--image-size');
  if (bundle !== undefined) {
    const built = (await readBundleManifest(bundle)).imageSize;
    if (imageSize !== undefined && imageSize !== built) throw new AaclipError(`is ${imageSize}, but the bundle ${bundle} is built for ${built}`, '--image-size');
    settings.imageSize = built;
  }
  if (values.domain !== undefined) {
    if (values.domain !== 'industrial' && values.domain !== 'medical') {
      throw new AaclipError(`expected industrial or medical, got "${values.domain}"`, '--domain');
    }
    settings.domain = values.domain;
  }
  return {
    files,
    ...(bundle === undefined ? {} : { bundle }),
    settings,
    ...(zeroShot ? { zeroShot } : {}),
    backend: values.backend,
    device: values.device,
    batchSize: parsePositiveInt(values['batch-size'], '--batch-size'),
    threads: parsePositiveInt(values.threads, '--threads'),
    ...precisionOptions(values, bundle),
    cacheDir: cacheDirOption(values),
  };
}

/** --cache-dir / --no-cache: the cache folder, or null for none. */
function cacheDirOption(values: Pick<ModelOptionValues, 'cache-dir' | 'no-cache'>): string | null {
  if (values['no-cache']) {
    if (values['cache-dir'] !== undefined) throw new AaclipError('cannot be combined with --no-cache', '--cache-dir');
    return null;
  }
  if (values['cache-dir'] === '') throw new AaclipError('is empty', '--cache-dir');
  return values['cache-dir'] ?? defaultCacheDir();
}

/** --precision and --no-rewrites: how the graphs are built (a bundle's are built already). */
function precisionOptions(values: Pick<ModelOptionValues, 'precision' | 'no-rewrites'>, bundle: string | undefined): { precision?: Precision; rewrites?: false } {
  for (const flag of ['precision', 'no-rewrites'] as const) {
    if (bundle !== undefined && values[flag] !== undefined) {
      throw new AaclipError(`cannot be combined with a bundle (--model ${bundle} holds built graphs; export another bundle instead)`, `--${flag}`);
    }
  }
  const out: { precision?: Precision; rewrites?: false } = {};
  if (values.precision !== undefined) {
    const parsed = Precision.safeParse(values.precision);
    if (!parsed.success) throw new AaclipError(`expected ${PRECISIONS.join(', ')}, got "${values.precision}"`, '--precision');
    out.precision = parsed.data;
  }
  if (values['no-rewrites']) out.rewrites = false;
  return out;
}

/** --zero-shot: a baseline mode, only for a run without adapters (from the flags or the --model folder). */
function zeroShotOption(value: string | undefined, adapters: readonly string[]): ZeroShotMode | undefined {
  if (value === undefined) return undefined;
  const mode = ZeroShotMode.safeParse(value);
  if (!mode.success) throw new AaclipError(`expected ${ZeroShotMode.unwrap().options.join(' or ')}, got "${value}"`, '--zero-shot');
  if (adapters.length > 0) {
    throw new AaclipError(`is the baseline run without adapters; it cannot be combined with --adapters (given: ${adapters.join(', ')})`, '--zero-shot');
  }
  return mode.data;
}
