import { AaclipError } from '../errors/aaclipError.js';
import type { Backend, BackendSession } from '../backend/backend.js';
import { resolveBackend } from '../backend/registry.js';
import { checkSettingsForModel, parseAaclipSettings, settingsBlur, type AaclipSettings, type AaclipSettingsInput } from '../config/aaclipSettings.js';
import { visionGrid, type ClipModelConfig, type PreprocessConfig } from '../config/modelConfig.js';
import { DEFAULT_PROMPT_SET, expandPrompts, type PromptSet } from '../config/promptSet.js';
import { ZeroShotMode } from '../config/zeroShotMode.js';
import { parseWithSchema } from '../config/zodIssue.js';
import {
  CLS_EMBEDDING_OUTPUT,
  DET_TOKEN_OUTPUT,
  buildSurgeryVisionModel,
  buildTextModel,
  buildVisionModel,
  segTokensOutput,
  surgeryFeaturesOutput,
  type ModelBuildOptions,
  type OnnxModel,
} from '../graph/buildModels.js';
import type { RawImage } from '../image/rawImage.js';
import { preprocessImage } from '../preprocess/preprocessImage.js';
import { computeTextAnchors } from '../prompts/textAnchors.js';
import { scoreImage } from '../scoring/scoreImage.js';
import type { TensorMap } from '../tensor/tensor.js';
import type { ClipTokenizer } from '../tokenizer/clipTokenizer.js';
import { validateAdapters, validateClipWeights } from '../weights/clipWeights.js';

/** Everything a detector is built from, already read from files (see backend-node's loaders). */
export interface DetectorModel {
  readonly config: ClipModelConfig;
  readonly preprocess: PreprocessConfig;
  readonly weights: TensorMap;
  /** AA-CLIP adapters; null runs plain CLIP (its own projections, no adapters). */
  readonly adapters: TensorMap | null;
  readonly tokenizer: ClipTokenizer;
  /** Names used in error messages. */
  readonly sources?: { readonly weights?: string; readonly adapters?: string };
}

export interface DetectorOptions {
  /** AA-CLIP settings; anything omitted takes the paper's default (see AaclipSettings). */
  readonly settings?: AaclipSettingsInput;
  /** Prompt states and templates; defaults to AA-CLIP's ensemble. */
  readonly promptSet?: PromptSet;
  /** Backend name ('node', 'web', …); omitted → the registered backends by priority. */
  readonly backend?: string;
  /** Device ('cpu', 'cuda', 'wasm', 'webgpu', …); omitted → the backend's preference order. */
  readonly device?: string;
  /** Images per vision-session run. */
  readonly batchSize?: number;
  /**
   * Build the towers with onnxruntime's fused attention (com.microsoft MultiHeadAttention);
   * omitted → what the backend prefers for the device (`Backend.modelPreferences`).
   */
  readonly fusedAttention?: boolean;
  /**
   * The training-free baseline run when the model has no adapters: 'plain' (default) or
   * 'surgery' (see ZeroShotMode). Both use plain CLIP's text anchors. An error with adapters.
   */
  readonly zeroShot?: ZeroShotMode;
  /** Called as the detector moves through its set-up stages (for progress displays). */
  readonly onProgress?: (stage: DetectorSetupStage) => void;
}

/** Set-up stages, in the order they happen. */
export type DetectorSetupStage = 'validating weights' | 'starting backend' | 'building vision model' | 'building text model' | 'loading vision model' | 'loading text model' | 'ready';

/** The vision session's output names: the seg tokens of level k and the det token. */
interface VisionOutputNames {
  readonly segTokens: (level: number) => string;
  readonly det: string;
}

const TOWER_OUTPUTS: Readonly<Record<'adapted' | ZeroShotMode, VisionOutputNames>> = {
  adapted: { segTokens: segTokensOutput, det: DET_TOKEN_OUTPUT },
  plain: { segTokens: segTokensOutput, det: DET_TOKEN_OUTPUT },
  surgery: { segTokens: surgeryFeaturesOutput, det: CLS_EMBEDDING_OUTPUT },
};

/** What the detector keeps of its model once the sessions are loaded: no weights. */
type RetainedModel = Pick<DetectorModel, 'config' | 'preprocess' | 'tokenizer'>;

/** The result for one image: maps are row-major [imageSize, imageSize]. */
export interface Detection {
  readonly imageSize: number;
  readonly anomalyMap: Float32Array;
  readonly levelMaps: readonly Float32Array[];
  readonly imageScore: number;
  readonly pixelMax: number;
}

/**
 * The AA-CLIP pipeline: text anchors per class from the (adapted) text tower, then per image the
 * patch tokens of the (adapted) vision tower scored against the anchors. Used by `aaclip detect`,
 * the evaluation and library users alike.
 */
export class AnomalyDetector {
  private readonly anchorCache = new Map<string, Promise<Float32Array>>();

  private constructor(
    readonly settings: AaclipSettings,
    readonly backend: Backend,
    readonly device: string,
    private readonly model: RetainedModel,
    private readonly promptSet: PromptSet,
    private readonly visionSession: BackendSession,
    private readonly textSession: BackendSession,
    private readonly batchSize: number,
    private readonly visionOutputs: VisionOutputNames,
  ) {}

  /**
   * Builds both towers and loads them on the backend. Memory: the built models view the weights
   * (nothing is copied), each is released once its session holds it, and the detector keeps no
   * weights — drop your own reference to `model.weights` and they can be freed. Peak memory is
   * about the weights once plus what the runtime holds.
   */
  static async create(model: DetectorModel, options: DetectorOptions = {}): Promise<AnomalyDetector> {
    const progress = options.onProgress ?? (() => {});
    const settings = parseAaclipSettings(options.settings ?? {}, 'settings');
    checkSettingsForModel(settings, model.config, 'settings');
    if (model.adapters && options.zeroShot !== undefined) {
      throw new AaclipError(`"${options.zeroShot}" is a baseline run without adapters, but the model has AA-CLIP adapters (give one or the other)`, 'zeroShot');
    }
    const zeroShot = parseWithSchema(ZeroShotMode, options.zeroShot, 'zeroShot');
    const tower = model.adapters ? 'adapted' : zeroShot;
    progress('validating weights');
    const sources = { weightsSource: model.sources?.weights ?? 'weights', adaptersSource: model.sources?.adapters ?? 'adapters' };
    const weights = validateClipWeights(model.config, model.weights, sources.weightsSource);
    const adapters = model.adapters ? validateAdapters(model.config, settings, model.adapters, sources.adaptersSource) : null;
    progress('starting backend');
    const { backend, device } = await resolveBackend({ backend: options.backend, device: options.device });
    const fusedAttention = options.fusedAttention ?? backend.modelPreferences?.(device).fusedAttention ?? false;
    const built = buildDetectorModels(model.config, weights, adapters, tower === 'surgery', settings, { ...sources, fusedAttention }, progress);
    progress('loading vision model');
    const visionSession = await backend.createSession(built.takeVision(), { device });
    let textSession: BackendSession;
    try {
      progress('loading text model');
      textSession = await backend.createSession(built.takeText(), { device });
    } catch (err) {
      await visionSession.dispose();
      throw err;
    }
    progress('ready');
    const batchSize = Math.max(1, Math.floor(options.batchSize ?? 1));
    const retained: RetainedModel = { config: model.config, preprocess: model.preprocess, tokenizer: model.tokenizer };
    const prompts = options.promptSet ?? DEFAULT_PROMPT_SET;
    return new AnomalyDetector(settings, backend, device, retained, prompts, visionSession, textSession, batchSize, TOWER_OUTPUTS[tower]);
  }

  get embedDim(): number {
    return this.model.config.embed_dim;
  }

  get grid(): number {
    return visionGrid(this.model.config, this.settings.imageSize);
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

  private async computeAnchors(promptName: string): Promise<Float32Array> {
    const { prompts, normalCount, abnormalCount } = expandPrompts(this.promptSet, promptName);
    const context = this.model.config.text_cfg.context_length;
    const { ids, shape } = this.model.tokenizer.encodeBatch(prompts, { contextLength: context });
    const out = await this.textSession.run({ input_ids: { dtype: 'I64', shape, data: ids } });
    const embeds = out['text_embeds'];
    if (!embeds) throw new AaclipError('the text model returned no "text_embeds"');
    return computeTextAnchors(embeds.data as Float32Array, this.embedDim, normalCount, abnormalCount);
  }

  /** Preprocesses decoded images exactly as the reference does (PIL bicubic resize, CLIP normalisation). */
  preprocess(image: RawImage): Float32Array {
    return preprocessImage(image, this.settings.imageSize, { mean: this.model.preprocess.mean, std: this.model.preprocess.std });
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
    const out = await this.visionSession.run({ pixel_values: { dtype: 'F32', shape: [pixels.length, 3, size, size], data: batch } });
    const grid = this.grid;
    const embed = this.embedDim;
    const tokensPerImage = grid * grid * embed;
    const { segTokens, det: detName } = this.visionOutputs;
    const levels = this.settings.levels.map((_, k) => {
      const t = out[segTokens(k)];
      if (!t) throw new AaclipError(`the vision model returned no "${segTokens(k)}"`);
      return t.data as Float32Array;
    });
    const det = out[detName];
    if (!det) throw new AaclipError(`the vision model returned no "${detName}"`);
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

/**
 * Both towers' ONNX models, each handed out once: after `takeVision()` / `takeText()` this holder
 * no longer references that model, so its bytes (and the weights they view) can be freed as soon
 * as the session that took them lets go.
 */
interface BuiltDetectorModels {
  takeVision(): OnnxModel;
  takeText(): OnnxModel;
}

function buildDetectorModels(
  config: ClipModelConfig,
  weights: TensorMap,
  adapters: TensorMap | null,
  surgery: boolean,
  settings: AaclipSettings,
  options: ModelBuildOptions,
  progress: (stage: DetectorSetupStage) => void,
): BuiltDetectorModels {
  progress('building vision model');
  let vision: OnnxModel | null = surgery
    ? buildSurgeryVisionModel(config, weights, settings, options)
    : buildVisionModel(config, weights, adapters, settings, options);
  progress('building text model');
  let text: OnnxModel | null = buildTextModel(config, weights, adapters, settings, options);
  const take = (which: 'vision' | 'text'): OnnxModel => {
    const taken = which === 'vision' ? vision : text;
    if (!taken) throw new Error(`the ${which} model was already taken`);
    if (which === 'vision') vision = null;
    else text = null;
    return taken;
  };
  return { takeVision: () => take('vision'), takeText: () => take('text') };
}
