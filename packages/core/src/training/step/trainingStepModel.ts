// The training step of each AA-CLIP stage as one ONNX model: the stage's loss graph
// differentiated with respect to the stage's adapters. Any backend that runs ONNX runs it.
import { AaclipError } from '../../errors/aaclipError.js';
import { adapterShapesOf, stripCommonPrefix } from '../../weights/clipWeights.js';
import { gradients } from '../../graph/autodiff/gradients.js';
import type { TrainingStepGraph } from '../../graph/autodiff/gradients.js';
import { onnxModelFromGraph } from '../../graph/buildModels.js';
import type { ModelBuildOptions, OnnxModel } from '../../graph/buildModels.js';
import type { Graph } from '../../graph/ir.js';
import { buildImageStageLossGraph } from '../stages/imageStageLossGraph.js';
import { LOSS_OUTPUT } from '../stages/stageIo.js';
import type { StageLossModel } from '../stages/stageIo.js';
import { buildTextStageLossGraph } from '../stages/textStageLossGraph.js';
import type { TextStageLossModel } from '../stages/textStageLossGraph.js';

export type TrainingStage = 'text' | 'image';

/** The adapter keys a stage trains (state-dict names). */
export const STAGE_ADAPTER_PREFIX: Readonly<Record<TrainingStage, string>> = {
  text: 'text_adapter.',
  image: 'image_adapter.',
};

export interface TrainingStepOptions extends ModelBuildOptions {
  /**
   * Recompute each transformer block's activations in the backward pass instead of keeping
   * them (gradient checkpointing): much less memory for about one more forward pass.
   */
  checkpointing?: boolean;
}

export interface TrainingStepModel {
  readonly stage: TrainingStage;
  readonly onnx: OnnxModel;
  /** Trainable weights (graph inputs, fed every step), in order. */
  readonly trainable: readonly string[];
  /** Gradient output per trainable weight. */
  readonly gradientOutputs: ReadonlyMap<string, string>;
  readonly lossOutput: string;
  /** The loss graph's other outputs (its parts, e.g. loss_ce, loss_focal_3). */
  readonly partOutputs: readonly string[];
  /** The data inputs (everything but the trainable weights). */
  readonly dataInputs: readonly string[];
}

/** Residual-stream values at block boundaries: the segments gradient checkpointing recomputes. */
function blockBoundaries(graph: Graph): string[] {
  return graph.nodes.flatMap((n) => n.outputs.filter((o) => /\.resblocks\.\d+\.out$/.test(o)));
}

/** Differentiates a stage's loss graph with respect to its adapters. */
export function trainingStepGraph(
  stage: TrainingStage,
  loss: Graph,
  options: { checkpointing?: boolean; stateDictShapes?: ReadonlyMap<string, readonly number[]> } = {},
): TrainingStepGraph {
  const prefix = STAGE_ADAPTER_PREFIX[stage];
  const trainable = [...loss.initializers.keys()].filter((k) => k.startsWith(prefix));
  if (trainable.length === 0) throw new AaclipError(`the loss graph has no ${prefix}* weights to train`, `graph ${loss.name}`);
  const parts = loss.outputs.map((o) => o.name).filter((n) => n !== LOSS_OUTPUT && n.startsWith('loss'));
  return gradients(loss, {
    loss: LOSS_OUTPUT,
    wrt: trainable,
    keepOutputs: parts,
    checkpoints: options.checkpointing ? blockBoundaries(loss) : [],
    ...(options.stateDictShapes ? { stateDictShapes: options.stateDictShapes } : {}),
  });
}

function stepModel(stage: TrainingStage, loss: Graph, model: StageLossModel, options: TrainingStepOptions): TrainingStepModel {
  // The shapes in the adapters' own projection form (a --relu variant's keys are `…fc.0.weight`).
  const stateDictShapes = adapterShapesOf(model.config, model.settings, stripCommonPrefix(model.adapters), model.adaptersSource ?? 'adapters');
  const step = trainingStepGraph(stage, loss, { ...options, stateDictShapes });
  const trainable = [...step.gradientOutputs.keys()];
  const trainableSet = new Set(trainable);
  return {
    stage,
    onnx: onnxModelFromGraph(step.graph, options, `aaclip-${stage}-step.onnx.data`),
    trainable,
    gradientOutputs: step.gradientOutputs,
    lossOutput: step.lossOutput,
    partOutputs: step.graph.outputs.map((o) => o.name).filter((n) => n !== step.lossOutput && n.startsWith('loss')),
    dataInputs: step.graph.inputs.map((v) => v.name).filter((n) => !trainableSet.has(n)),
  };
}

/** Stage 1: inputs input_ids, class_one_hot, patch_features_{k}, masks + the text adapters. */
export function buildTextTrainingStep(model: TextStageLossModel, options: TrainingStepOptions = {}): TrainingStepModel {
  return stepModel('text', buildTextStageLossGraph(model), model, options);
}

/** Stage 2: inputs pixel_values, anchors, label_one_hot, masks + the image adapters. */
export function buildImageTrainingStep(model: StageLossModel, options: TrainingStepOptions = {}): TrainingStepModel {
  return stepModel('image', buildImageStageLossGraph(model), model, options);
}
