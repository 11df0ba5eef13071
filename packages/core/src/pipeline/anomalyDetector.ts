import { AaclipError } from '../errors/aaclipError.js';
import type { Backend, BackendSession, ModelBytes } from '../backend/backend.js';
import { resolveBackend } from '../backend/registry.js';
import { checkSettingsForModel, parseAaclipSettings, settingsBlur, type AaclipSettings, type AaclipSettingsInput } from '../config/aaclipSettings.js';
import { PreprocessConfig, visionGrid, type ClipModelConfig } from '../config/modelConfig.js';
import { parseWithSchema } from '../config/zodIssue.js';
import { DEFAULT_PROMPT_SET, parsePromptSet, type PromptSet } from '../config/promptSet.js';
import type { ZeroShotMode } from '../config/zeroShotMode.js';
import type { Precision } from '../config/precision.js';
import type { RawImage } from '../image/rawImage.js';
import { preprocessImage } from '../preprocess/preprocessImage.js';
import { promptAnchors } from '../prompts/promptAnchors.js';
import { scoreImage } from '../scoring/scoreImage.js';
import type { ClipTokenizer } from '../tokenizer/clipTokenizer.js';
import { buildCheckedModels, checkDetectorModel, type DetectorModel, type DetectorSetupStage } from './buildDetectorModels.js';
import { passesForDevice, type RewriteOptions } from './devicePasses.js';
import { DETECTOR_IO, checkDetectorSessions, visionOutputsOf, type VisionOutputNames } from './detectorIo.js';
import { createDetectorSessions, loadDetectorSessions, type DetectorSessions } from './loadDetectorSessions.js';

/** How a detector runs, whichever way it was made. */
export interface DetectorRunOptions {
  /**
   * AA-CLIP settings; anything omitted takes the paper's default (see AaclipSettings). A detector
   * made from prebuilt models needs the settings those models were built with.
   */
  readonly settings?: AaclipSettingsInput;
  /**
   * Prompt states and templates (see PromptSet: every entry holds "{}" once, and no state is both
   * normal and abnormal); checked when the detector is made. Default: AA-CLIP's ensemble.
   */
  readonly promptSet?: PromptSet;
  /** Images per vision-session run: an integer ≥ 1 (default 1); larger batches use more memory. */
  readonly batchSize?: number;
  /**
   * Overrides of the model's preprocess config (see PreprocessConfig), e.g. `{ resize_mode:
   * 'squash' }` to preprocess as the AA-CLIP reference whatever the config file says.
   */
  readonly preprocess?: Partial<PreprocessConfig>;
  /** Called as the detector moves through its set-up stages (for progress displays). */
  readonly onProgress?: (stage: DetectorSetupStage) => void;
  /**
   * Anchors already computed with these models and prompts (e.g. a bundle's), by prompt name, each
   * [embed, 2] row-major; other names are computed with the text model as usual.
   */
  readonly anchors?: ReadonlyMap<string, Float32Array>;
}

/** Options of `AnomalyDetector.create` (build, load and run in one step). */
export interface DetectorOptions extends DetectorRunOptions {
  /** Backend name ('node', 'web', …); omitted → the registered backends by priority. */
  readonly backend?: string;
  /** Device ('cpu', 'cuda', 'wasm', 'webgpu', …); omitted → the backend's preference order. */
  readonly device?: string;
  /** Threads per model run (see SessionOptions.threads); omitted → the backend's default (node: every core). */
  readonly threads?: number;
  /**
   * Precision of the models: 'fp32' (default), 'fp16' or 'int8'. The device must run it
   * (`Backend.capabilities`); an error names the device otherwise.
   */
  readonly precision?: Precision;
  /**
   * Graph fusions (fused attention, GELU): omitted → every one the device runs; false → plain
   * ONNX ops (for debugging); a list → those of them (see RewriteOptions).
   */
  readonly rewrites?: RewriteOptions['rewrites'];
  /**
   * The training-free baseline run when the model has no adapters: 'plain' (default) or
   * 'surgery' (see ZeroShotMode). Both use plain CLIP's text anchors. An error with adapters.
   */
  readonly zeroShot?: ZeroShotMode;
}

/** What a detector needs besides its two models: the config, preprocessing and tokenizer. */
export interface DetectorParts {
  /** The model config the models were built from (embedding width, patch size, context length). */
  readonly config: ClipModelConfig;
  readonly preprocess: PreprocessConfig;
  readonly tokenizer: ClipTokenizer;
}

/** Prebuilt models (see buildDetectorModels) with the parts a detector needs besides them. */
export interface PrebuiltDetectorModels extends DetectorParts {
  /** The image tower: input "pixel_values", outputs per level and a det token (see DETECTOR_IO). */
  readonly vision: ModelBytes;
  /** The text tower: input "input_ids", output "text_embeds". */
  readonly text: ModelBytes;
}

/** Options of `AnomalyDetector.fromModels`. */
export interface PrebuiltDetectorOptions extends DetectorRunOptions {
  /** Backend name ('node', 'web', …); omitted → the registered backends by priority. */
  readonly backend?: string;
  /** Device; omitted → the backend's preference order. */
  readonly device?: string;
  /** Threads per model run (see SessionOptions.threads); omitted → the backend's default. */
  readonly threads?: number;
}


/**
 * The result for one image. Maps are row-major [imageSize, imageSize] float32, one value per
 * pixel of the preprocessed (S×S) input — not of the original image; resize them to its size
 * (bilinear) to overlay.
 */
export interface Detection {
  /** Side S of the maps in pixels: `settings.imageSize`. */
  readonly imageSize: number;
  /**
   * The anomaly map: the mean of the level maps, each the anomalous share of a softmax between the
   * anchors, so every value is a probability in [0, 1] (higher: more anomalous).
   */
  readonly anomalyMap: Float32Array;
  /** One map per `settings.levels` entry, in that order, each in [0, 1] (blurred, upsampled). */
  readonly levelMaps: readonly Float32Array[];
  /**
   * The det token's anomaly probability `(det · anchors[:, 1] + 1) / 2`, in [0, 1]. Evaluation
   * combines it with `pixelMax` only after min–max normalising both over a class's test images
   * (industrial ½·map max + ½·score, medical map max), so that rule cannot be applied per image.
   */
  readonly imageScore: number;
  /** Largest value of `anomalyMap`, in [0, 1]. */
  readonly pixelMax: number;
}

/**
 * The AA-CLIP pipeline: text anchors per class from the (adapted) text tower, then per image the
 * patch tokens of the (adapted) vision tower scored against the anchors. Used by `aaclip detect`,
 * the evaluation and library users alike. Made in one step from weights (`create`), or from
 * prebuilt models (`fromModels`) or loaded sessions (`fromSessions`); see buildDetectorModels
 * and loadDetectorSessions for the steps.
 */
export class AnomalyDetector {
  private readonly anchorCache = new Map<string, Promise<Float32Array>>();

  private constructor(
    /** The parsed settings the detector runs with (its `domain` picks the blur and the image-score rule). */
    readonly settings: AaclipSettings,
    readonly backend: Backend,
    readonly device: string,
    private readonly parts: DetectorParts,
    private readonly promptSet: PromptSet,
    private readonly visionSession: BackendSession,
    private readonly textSession: BackendSession,
    private readonly batchSize: number,
    private readonly visionOutputs: VisionOutputNames,
  ) {}

  /**
   * Builds both towers and loads them on the backend (buildDetectorModels and loadDetectorSessions
   * in one step). Memory: the built models view the weights (nothing is copied), each is released
   * once its session holds it, and the detector keeps no weights — drop your own reference to
   * `model.weights` and they can be freed. Peak memory is about the weights once plus what the
   * runtime holds.
   */
  static async create(model: DetectorModel, options: DetectorOptions = {}): Promise<AnomalyDetector> {
    const progress = options.onProgress ?? (() => {});
    const checked = checkDetectorModel(model, options);
    const run = checkRunOptions(model, checked.settings, options);
    progress('starting backend');
    const { backend, device } = await resolveBackend({ backend: options.backend, device: options.device });
    const passes = passesForDevice(backend, device, options);
    const built = buildCheckedModels(model.config, checked, { passes, onProgress: progress });
    const session = { device, ...(options.threads === undefined ? {} : { threads: options.threads }) };
    const sessions = await createDetectorSessions(backend, session, built.takeVision, built.takeText, progress);
    progress('ready');
    return new AnomalyDetector(checked.settings, backend, device, run.parts, run.promptSet, sessions.vision, sessions.text, run.batchSize, visionOutputsOf(checked.tower)).seedAnchors(options.anchors);
  }

  /**
   * A detector from prebuilt models (see buildDetectorModels: saved, cached, downloaded or
   * quantised), loaded on the backend. `options.settings` must be those the models were built
   * with: the level outputs are checked against them, and the image size must match the vision
   * model's input.
   */
  static async fromModels(models: PrebuiltDetectorModels, options: PrebuiltDetectorOptions = {}): Promise<AnomalyDetector> {
    const settings = parseAaclipSettings(options.settings ?? {}, 'settings');
    checkRunOptions(models, settings, options);
    const sessions = await loadDetectorSessions(models, options);
    try {
      return AnomalyDetector.fromSessions(sessions, models, options);
    } catch (err) {
      await Promise.all([sessions.vision.dispose(), sessions.text.dispose()]);
      throw err;
    }
  }

  /**
   * A detector from loaded sessions (see loadDetectorSessions); it owns them from now on
   * (`dispose()` disposes them). The sessions' input and output names are checked (DETECTOR_IO)
   * and tell the image tower's kind.
   */
  static fromSessions(sessions: DetectorSessions, parts: DetectorParts, options: DetectorRunOptions = {}): AnomalyDetector {
    const settings = parseAaclipSettings(options.settings ?? {}, 'settings');
    const run = checkRunOptions(parts, settings, options);
    const kind = checkDetectorSessions(sessions.vision, sessions.text, settings.levels.length);
    options.onProgress?.('ready');
    return new AnomalyDetector(settings, sessions.backend, sessions.device, run.parts, run.promptSet, sessions.vision, sessions.text, run.batchSize, visionOutputsOf(kind === 'surgery' ? 'surgery' : 'plain')).seedAnchors(options.anchors);
  }

  get embedDim(): number {
    return this.parts.config.embed_dim;
  }

  get grid(): number {
    return visionGrid(this.parts.config, this.settings.imageSize);
  }

  /** Anchors [embed, 2] row-major (column 0 normal, 1 anomalous) for the text put into the prompts. */
  anchors(promptName: string): Promise<Float32Array> {
    let cached = this.anchorCache.get(promptName);
    if (!cached) {
      cached = this.computeAnchors(promptName);
      this.anchorCache.set(promptName, cached);
      cached.catch(() => this.anchorCache.delete(promptName));
    }
    return cached;
  }

  private computeAnchors(promptName: string): Promise<Float32Array> {
    const { tokenizer, config } = this.parts;
    const input = { textSession: this.textSession, tokenizer, contextLength: config.text_cfg.context_length, embedDim: this.embedDim, promptSet: this.promptSet };
    return promptAnchors(input, promptName);
  }

  /** Seeds the anchor cache with precomputed anchors (checked by checkRunOptions before any session started). */
  private seedAnchors(anchors: ReadonlyMap<string, Float32Array> | undefined): this {
    for (const [name, values] of anchors ?? []) this.anchorCache.set(name, Promise.resolve(values));
    return this;
  }

  /**
   * Preprocesses a decoded image as the model's preprocess config says (by default the reference's:
   * PIL bicubic squash resize to S×S, CLIP normalisation). Returns float32 [3, S, S].
   */
  preprocess(image: RawImage): Float32Array {
    const cfg = this.parts.preprocess;
    return preprocessImage(image, this.settings.imageSize, {
      mean: cfg.mean,
      std: cfg.std,
      interpolation: cfg.interpolation,
      resizeMode: cfg.resize_mode,
      ...(cfg.fill_color !== undefined ? { fillColor: cfg.fill_color } : {}),
    });
  }

  /** Scores images (decoded, or already preprocessed [3,S,S] tensors) against a class's anchors. */
  async detect(images: readonly (RawImage | Float32Array)[], promptName: string): Promise<Detection[]> {
    const anchors = await this.anchors(promptName);
    const results: Detection[] = [];
    for (let start = 0; start < images.length; start += this.batchSize) {
      const batch = images.slice(start, start + this.batchSize).map((im) => (im instanceof Float32Array ? im : this.preprocess(im)));
      results.push(...(await this.detectPreprocessed(batch, anchors)));
    }
    return results;
  }

  /** Scores a batch of preprocessed [3,S,S] images against given anchors. */
  async detectPreprocessed(pixels: readonly Float32Array[], anchors: Float32Array): Promise<Detection[]> {
    const size = this.settings.imageSize;
    const plane = 3 * size * size;
    const batch = new Float32Array(plane * pixels.length);
    pixels.forEach((p, i) => {
      if (p.length !== plane) throw new AaclipError(`preprocessed image ${i} has ${p.length} values, expected 3×${size}×${size}`);
      batch.set(p, i * plane);
    });
    const out = await this.visionSession.run({ [DETECTOR_IO.visionInput]: { dtype: 'F32', shape: [pixels.length, 3, size, size], data: batch } });
    const grid = this.grid;
    const embed = this.embedDim;
    const tokensPerImage = grid * grid * embed;
    const { levelTokens: segTokens, detToken: detName } = this.visionOutputs;
    const levels = this.settings.levels.map((_, k) => {
      const t = out[segTokens(k)];
      if (!t) throw new AaclipError(`the vision model returned no "${segTokens(k)}"`, 'vision model', { code: 'internal' });
      return t.data as Float32Array;
    });
    const det = out[detName];
    if (!det) throw new AaclipError(`the vision model returned no "${detName}"`, 'vision model', { code: 'internal' });
    const blur = settingsBlur(this.settings);
    return pixels.map((_, i) =>
      scoreImage({
        segTokens: levels.map((l) => l.subarray(i * tokensPerImage, (i + 1) * tokensPerImage)),
        detToken: (det.data as Float32Array).subarray(i * embed, (i + 1) * embed),
        anchors,
        embed,
        grid,
        imageSize: size,
        blur,
        similarityScale: this.settings.similarityScale,
      }),
    ).map((r) => ({ imageSize: size, ...r }));
  }

  async dispose(): Promise<void> {
    await Promise.all([this.visionSession.dispose(), this.textSession.dispose()]);
  }
}


/** The run options checked against the parts, once, when a detector is made. */
function checkRunOptions(
  parts: DetectorParts,
  settings: AaclipSettings,
  options: DetectorRunOptions,
): { parts: DetectorParts; promptSet: PromptSet; batchSize: number } {
  checkSettingsForModel(settings, parts.config, 'settings');
  const embed = parts.config.embed_dim;
  for (const [name, values] of options.anchors ?? []) {
    if (values.length !== embed * 2) throw new AaclipError(`has ${values.length} values, [${embed}, 2] needs ${embed * 2}`, `anchors of "${name}"`);
  }
  const promptSet = options.promptSet === undefined ? DEFAULT_PROMPT_SET : parsePromptSet(options.promptSet, 'promptSet');
  const batch = options.batchSize ?? 1;
  if (!Number.isInteger(batch) || batch < 1) throw new AaclipError(`must be an integer ≥ 1, got ${batch}`, 'batchSize');
  const preprocess = options.preprocess ? parseWithSchema(PreprocessConfig, { ...parts.preprocess, ...options.preprocess }, 'preprocess') : parts.preprocess;
  return { parts: { config: parts.config, preprocess, tokenizer: parts.tokenizer }, promptSet, batchSize: batch };
}
