// Builds the AA-CLIP vision and text towers as ONNX models from an open_clip config, an open_clip
// state dict and (optionally) the AA-CLIP adapters.
import type { AaclipSettings } from '../config/aaclipSettings.js';
import { checkSettingsForModel } from '../config/aaclipSettings.js';
import type { ClipModelConfig } from '../config/modelConfig.js';
import { TextStageSettings } from '../config/trainingSettings.js';
import type { TensorMap } from '../tensor/tensor.js';
import { acceptedClipWeightShapes, adapterShapesOf, checkTensorShapes, clipWeightShapes, stripCommonPrefix } from '../weights/clipWeights.js';
import type { ExpectedShapes } from '../weights/clipWeights.js';
import type { Graph } from './ir.js';
import type { GraphPass } from './passes/graphPass.js';
import { applyPasses } from './passes/selectPasses.js';
import { serializeModel, type ExternalDataLayout } from './onnx/serializeModel.js';
import { CLS_EMBEDDING_OUTPUT, buildSurgeryGraph, surgeryFeaturesOutput } from './towers/surgeryTower.js';
import { TEXT_INPUT, TEXT_OUTPUT, buildTextGraph } from './towers/textTower.js';
import {
  DEFAULT_WEIGHT_SOURCES,
  DET_TOKEN_OUTPUT,
  VISION_INPUT,
  buildVisionGraph,
  segTokensOutput,
} from './towers/visionTower.js';
import type { WeightSources } from './towers/visionTower.js';

export interface OnnxModel {
  model: Uint8Array;
  /** Files the model reads its external initializers from, relative to the model file's directory. */
  externalData: { path: string; data: Uint8Array }[];
  inputNames: string[];
  outputNames: string[];
}

export interface ModelBuildOptions {
  /**
   * Initializers of at least this many bytes go to external data. Default with the 'per-tensor'
   * layout: 1 MiB (every weight matrix of a real model); with 'packed': external data only when
   * all weights together exceed 1 GiB (protobuf caps a message at 2 GiB).
   */
  externalDataThreshold?: number;
  /**
   * 'per-tensor' (default): one external entry per large initializer, whose `data` is a view of
   * the weight itself — building a model copies no weights. 'packed': the tensors copied into
   * 4096-aligned files of up to 1 GiB (one file to write, fewer files to open).
   */
  externalDataLayout?: ExternalDataLayout;
  /**
   * External data file name; defaults to "aaclip-vision.onnx.data" / "aaclip-text.onnx.data"
   * (per-tensor entries are named "<name>.<index>").
   */
  externalDataPath?: string;
  /**
   * Rewrites applied to each tower graph after it is built (fused attention, GELU fusion, fp16,
   * int8: see selectPasses, which picks them from what the device runs). Default none: plain
   * float32 ONNX ops, the graph a training pass differentiates.
   */
  passes?: readonly GraphPass[];
  /** Names the CLIP weights in error messages (e.g. their file name). */
  weightsSource?: string;
  /** Names the adapters in error messages. */
  adaptersSource?: string;
}

const VISION_PREFIX = 'visual.';

function weightSources(options: ModelBuildOptions): WeightSources {
  return {
    clip: options.weightsSource ?? DEFAULT_WEIGHT_SOURCES.clip,
    adapters: options.adaptersSource ?? DEFAULT_WEIGHT_SOURCES.adapters,
  };
}

function onlyTower(shapes: ExpectedShapes, vision: boolean): ExpectedShapes {
  return new Map([...shapes].filter(([key]) => key.startsWith(VISION_PREFIX) === vision));
}

/**
 * The CLIP tensors one tower reads, float32, shapes checked against the config by the same rule
 * `validateClipWeights` applies (acceptedClipWeightShapes: the vision position embedding at any
 * square grid). `vision` picks the tower (true: the `visual.*` tensors, false: the text tower's).
 */
export function checkedClipWeights(cfg: ClipModelConfig, weights: TensorMap, vision: boolean, source: string): TensorMap {
  const tensors = stripCommonPrefix(weights);
  const shapes = onlyTower(vision ? acceptedClipWeightShapes(cfg, tensors, source) : clipWeightShapes(cfg), vision);
  return checkTensorShapes(shapes, tensors, source);
}

/** One tower's adapters (`vision`: the image adapters, else the text adapters), float32, shapes checked. */
export function checkedAdapters(cfg: ClipModelConfig, settings: AaclipSettings, adapters: TensorMap, vision: boolean, source: string): TensorMap {
  const prefix = vision ? 'image_adapter.' : 'text_adapter.';
  const stripped = stripCommonPrefix(adapters);
  const shapes = new Map([...adapterShapesOf(cfg, settings, stripped, source)].filter(([key]) => key.startsWith(prefix)));
  return checkTensorShapes(shapes, stripped, source);
}

/** Initializers of at least this many bytes go to external data by default (with the per-tensor layout). */
export const DEFAULT_PER_TENSOR_EXTERNAL_THRESHOLD = 1024 * 1024;

/**
 * Serialises a tower graph (e.g. after a rewrite pass) as an OnnxModel. With the default
 * per-tensor layout the external data are views of the graph's initializers (no copy): keep the
 * weights unchanged while the model is in use.
 */
export function onnxModelFromGraph(graph: Graph, options: ModelBuildOptions = {}, defaultDataPath = 'model.onnx.data'): OnnxModel {
  const layout = options.externalDataLayout ?? 'per-tensor';
  const { model, externalData } = serializeModel(graph, {
    externalDataThreshold: options.externalDataThreshold ?? (layout === 'per-tensor' ? DEFAULT_PER_TENSOR_EXTERNAL_THRESHOLD : undefined),
    externalDataPath: options.externalDataPath ?? defaultDataPath,
    externalDataLayout: layout,
  });
  return {
    model,
    externalData,
    inputNames: graph.inputs.map((v) => v.name),
    outputNames: graph.outputs.map((v) => v.name),
  };
}

/**
 * The vision tower as a graph (weights checked against the config, `options.passes` applied),
 * before serialisation: for passes over the IR (autodiff, rewrites). `buildVisionModel` serialises it.
 */
export function buildVisionTowerGraph(
  config: ClipModelConfig,
  weights: TensorMap,
  adapters: TensorMap | null,
  settings: AaclipSettings,
  options: ModelBuildOptions = {},
): Graph {
  const sources = weightSources(options);
  checkSettingsForModel(settings, config, 'settings');
  const clip = checkedClipWeights(config, weights, true, sources.clip);
  const adapted = adapters ? checkedAdapters(config, settings, adapters, true, sources.adapters) : null;
  return applyPasses(buildVisionGraph(config, clip, adapted, settings, sources), options.passes ?? []);
}

/** The text tower as a graph (weights checked against the config), before serialisation. */
export function buildTextTowerGraph(
  config: ClipModelConfig,
  weights: TensorMap,
  adapters: TensorMap | null,
  settings: AaclipSettings,
  options: ModelBuildOptions = {},
): Graph {
  const sources = weightSources(options);
  checkSettingsForModel(settings, config, 'settings');
  const clip = checkedClipWeights(config, weights, false, sources.clip);
  const adapted = adapters ? checkedAdapters(config, settings, adapters, false, sources.adapters) : null;
  return applyPasses(buildTextGraph(config, clip, adapted, settings, sources), options.passes ?? []);
}

/**
 * The image tower. Input "pixel_values" f32 [batch, 3, S, S] (S = settings.imageSize); outputs
 * "seg_tokens_0".."seg_tokens_{L−1}" f32 [batch, g², embed] (L2-normalised per token) and
 * "det_token" f32 [batch, embed]. `adapters === null` builds plain CLIP.
 */
export function buildVisionModel(
  config: ClipModelConfig,
  weights: TensorMap,
  adapters: TensorMap | null,
  settings: AaclipSettings,
  options: ModelBuildOptions = {},
): OnnxModel {
  const graph = buildVisionTowerGraph(config, weights, adapters, settings, options);
  return onnxModelFromGraph(graph, options, 'aaclip-vision.onnx.data');
}

export interface SurgeryModelBuildOptions extends ModelBuildOptions {
  /** First V-V block (0-based); default TextStageSettings' `surgeryFromBlock` (the reference's 5). */
  surgeryFromBlock?: number;
}

/** The surgery tower as a graph (weights checked against the config), before serialisation. */
export function buildSurgeryTowerGraph(
  config: ClipModelConfig,
  weights: TensorMap,
  settings: AaclipSettings,
  options: SurgeryModelBuildOptions = {},
): Graph {
  const sources = weightSources(options);
  checkSettingsForModel(settings, config, 'settings');
  const clip = checkedClipWeights(config, weights, true, sources.clip);
  const surgeryFromBlock = options.surgeryFromBlock ?? TextStageSettings.parse({}).surgeryFromBlock;
  return applyPasses(buildSurgeryGraph(config, clip, settings, { surgeryFromBlock }, sources), options.passes ?? []);
}

/**
 * AA-CLIP's frozen stage-1 feature CLIP ("surgery": V-V attention from `surgeryFromBlock` on), also
 * the training-free zero-shot image tower. Input "pixel_values" f32 [batch, 3, S, S]; outputs
 * "surgery_features_0".."surgery_features_{L−1}" f32 [batch, g², embed] (each token L2-normalised,
 * plus the CLS embedding) and "cls_embedding" f32 [batch, embed] (plain CLIP's, L2-normalised).
 */
export function buildSurgeryVisionModel(
  config: ClipModelConfig,
  weights: TensorMap,
  settings: AaclipSettings,
  options: SurgeryModelBuildOptions = {},
): OnnxModel {
  const graph = buildSurgeryTowerGraph(config, weights, settings, options);
  return onnxModelFromGraph(graph, options, 'aaclip-surgery.onnx.data');
}

/**
 * The text tower. Input "input_ids" int64 [n, context_length]; output "text_embeds" f32 [n, embed]
 * (not normalised). `adapters === null` builds plain CLIP (text_projection).
 */
export function buildTextModel(
  config: ClipModelConfig,
  weights: TensorMap,
  adapters: TensorMap | null,
  settings: AaclipSettings,
  options: ModelBuildOptions = {},
): OnnxModel {
  const graph = buildTextTowerGraph(config, weights, adapters, settings, options);
  return onnxModelFromGraph(graph, options, 'aaclip-text.onnx.data');
}

/** The vision model's output names for `levels` taps, in order. */
export function visionOutputNames(levelCount: number): string[] {
  return [...Array.from({ length: levelCount }, (_, k) => segTokensOutput(k)), DET_TOKEN_OUTPUT];
}

export { CLS_EMBEDDING_OUTPUT, DET_TOKEN_OUTPUT, TEXT_INPUT, TEXT_OUTPUT, VISION_INPUT, segTokensOutput, surgeryFeaturesOutput };
/** Adapter state-dict keys as the towers read them (the reference's module names). */
export { DET_PROJ_KEY, imageAdapterKey, segProjKey } from './towers/visionTower.js';
export { textAdapterKey } from './towers/textTower.js';
