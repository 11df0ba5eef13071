// Step 1 of the pipeline: model config + CLIP weights (+ adapters) → the two ONNX models a detector
// runs. The models can be loaded at once (AnomalyDetector.create) or saved and loaded later
// (AnomalyDetector.fromModels), e.g. from a cache, or after quantising them.
import { AaclipError } from '../errors/aaclipError.js';
import { checkSettingsForModel, parseAaclipSettings, type AaclipSettings, type AaclipSettingsInput } from '../config/aaclipSettings.js';
import type { ClipModelConfig, PreprocessConfig } from '../config/modelConfig.js';
import { ZeroShotMode } from '../config/zeroShotMode.js';
import { parseWithSchema } from '../config/zodIssue.js';
import { buildSurgeryVisionModel, buildTextModel, buildVisionModel, type ModelBuildOptions, type OnnxModel } from '../graph/buildModels.js';
import type { TensorMap } from '../tensor/tensor.js';
import type { ClipTokenizer } from '../tokenizer/clipTokenizer.js';
import { validateAdapters, validateClipWeights } from '../weights/clipWeights.js';
import type { VisionTowerKind } from './detectorIo.js';
import type { DeviceCapabilities } from '../backend/backend.js';
import type { Precision } from '../config/precision.js';
import type { GraphPass } from '../graph/passes/graphPass.js';
import { selectPasses, textTowerPasses } from '../graph/passes/selectPasses.js';
import type { RewriteOptions } from './devicePasses.js';

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

/** Set-up stages, in the order they happen (a prebuilt detector skips the building ones). */
export type DetectorSetupStage = 'validating weights' | 'starting backend' | 'building vision model' | 'building text model' | 'loading vision model' | 'loading text model' | 'ready';

export interface DetectorBuildOptions {
  /** AA-CLIP settings; anything omitted takes the paper's default (see AaclipSettings). */
  readonly settings?: AaclipSettingsInput;
  /**
   * The training-free baseline built when the model has no adapters: 'plain' (default) or
   * 'surgery' (see ZeroShotMode). An error with adapters.
   */
  readonly zeroShot?: ZeroShotMode;
  /** Precision of both models: 'fp32' (default), 'fp16' or 'int8' (see Precision); `capabilities` must declare it. */
  readonly precision?: Precision;
  /** Fusions (see RewriteOptions.rewrites); default every one `capabilities` declares. */
  readonly rewrites?: RewriteOptions['rewrites'];
  /**
   * What the device the models are for runs (`backend.capabilities(device)`): fusions and
   * precisions are chosen from it. Omitted → plain ONNX ops in fp32.
   */
  readonly capabilities?: DeviceCapabilities;
  /** Where large weights go (external data layout, threshold, file name): see ModelBuildOptions. */
  readonly externalData?: Pick<ModelBuildOptions, 'externalDataThreshold' | 'externalDataLayout' | 'externalDataPath'>;
  /** Called as building moves on (for progress displays). */
  readonly onProgress?: (stage: DetectorSetupStage) => void;
}

/**
 * A detector's two models, each an ONNX protobuf with its external data. Save `vision` and
 * `text` (the model bytes and each `externalData` file beside it) with the `settings` they were
 * built for: `AnomalyDetector.fromModels` needs the same settings back.
 */
export interface DetectorModels {
  readonly vision: OnnxModel;
  readonly text: OnnxModel;
  /** The parsed settings the models were built for. */
  readonly settings: AaclipSettings;
  readonly tower: VisionTowerKind;
}

/** The settings, baseline and weights checked; everything the build needs, nothing built yet. */
export interface CheckedDetectorModel {
  readonly settings: AaclipSettings;
  readonly tower: VisionTowerKind;
  readonly weights: TensorMap;
  readonly adapters: TensorMap | null;
  readonly sources: { readonly weightsSource: string; readonly adaptersSource: string };
}

/** Checks settings, baseline choice and weights against the config before anything is built. */
export function checkDetectorModel(model: DetectorModel, options: Pick<DetectorBuildOptions, 'settings' | 'zeroShot' | 'onProgress'>): CheckedDetectorModel {
  const settings = parseAaclipSettings(options.settings ?? {}, 'settings');
  checkSettingsForModel(settings, model.config, 'settings');
  if (model.adapters && options.zeroShot !== undefined) {
    throw new AaclipError(`"${options.zeroShot}" is a baseline run without adapters, but the model has AA-CLIP adapters (give one or the other)`, 'zeroShot');
  }
  const zeroShot = parseWithSchema(ZeroShotMode, options.zeroShot, 'zeroShot');
  options.onProgress?.('validating weights');
  const sources = { weightsSource: model.sources?.weights ?? 'weights', adaptersSource: model.sources?.adapters ?? 'adapters' };
  const weights = validateClipWeights(model.config, model.weights, sources.weightsSource);
  const adapters = model.adapters ? validateAdapters(model.config, settings, model.adapters, sources.adaptersSource) : null;
  return { settings, tower: model.adapters ? 'adapted' : zeroShot, weights, adapters, sources };
}

/**
 * Both models, each handed out once: after `takeVision()` / `takeText()` the holder no longer
 * references that model, so its bytes (and the weights they view) can be freed as soon as the
 * session that took it lets go.
 */
export interface TakeOnceModels {
  takeVision(): OnnxModel;
  takeText(): OnnxModel;
}

/** Builds both towers of a checked model (see checkDetectorModel). */
export function buildCheckedModels(
  config: ClipModelConfig,
  checked: CheckedDetectorModel,
  options: Pick<DetectorBuildOptions, 'externalData' | 'onProgress'> & { readonly passes?: readonly GraphPass[] },
): TakeOnceModels {
  const build: ModelBuildOptions = { ...options.externalData, ...checked.sources, passes: options.passes ?? [] };
  const { settings, weights, adapters } = checked;
  options.onProgress?.('building vision model');
  let vision: OnnxModel | null =
    checked.tower === 'surgery' ? buildSurgeryVisionModel(config, weights, settings, build) : buildVisionModel(config, weights, adapters, settings, build);
  options.onProgress?.('building text model');
  let text: OnnxModel | null = buildTextModel(config, weights, adapters, settings, { ...build, passes: textTowerPasses(build.passes ?? []) });
  const take = (which: 'vision' | 'text'): OnnxModel => {
    const taken = which === 'vision' ? vision : text;
    if (!taken) throw new AaclipError(`the ${which} model was already taken`, 'detector models', { code: 'internal' });
    if (which === 'vision') vision = null;
    else text = null;
    return taken;
  };
  return { takeVision: () => take('vision'), takeText: () => take('text') };
}

/**
 * Step 1: validates the weights and settings and builds the detector's vision and text models.
 * The built models view the weights (per-tensor external data, nothing copied): keep the weights
 * unchanged while the models are in use.
 */
export function buildDetectorModels(model: DetectorModel, options: DetectorBuildOptions = {}): DetectorModels {
  const checked = checkDetectorModel(model, options);
  const passes = selectPasses(options.capabilities, { precision: options.precision, rewrites: options.rewrites, device: options.capabilities ? 'the target device' : 'plain ONNX (no capabilities given)' });
  const built = buildCheckedModels(model.config, checked, { ...options, passes });
  return { vision: built.takeVision(), text: built.takeText(), settings: checked.settings, tower: checked.tower };
}
