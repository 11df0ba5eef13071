import { AaclipError, checkTensorShapes, projectionActivation, segProjKey, stripCommonPrefix, type ExpectedShapes, type TensorMap } from '@aaclip/core';
import { readWeightsFile } from '@aaclip/backend-node';
import { STAGE_ADAPTER_PREFIX, TRAINING_STAGES, stageAdapterShapes, type TrainingStage } from '../adapters/trainingStage.js';
import { xavierUniformAdapters } from './xavierUniform.js';

export interface InitialAdaptersOptions {
  /** Every adapter weight of the model and its shape: core's adapterWeightShapes(config, settings). */
  readonly shapes: ExpectedShapes;
  /** Seeds the Xavier initialisation. */
  readonly seed: number;
  /**
   * `--init-adapters`: a safetensors file with text_adapter.* / image_adapter.* keys, or the
   * reference's .pth files ({"text_adapter": state_dict}, {"image_adapter": state_dict}), read
   * without executing anything. Several files are merged (a later one wins on a shared key).
   */
  readonly files?: readonly string[];
}

/** Where a stage's starting weights came from. */
export type AdapterOrigin = 'xavier' | 'file';

export interface InitialAdapters {
  /** Every adapter weight, float32, in the order of `shapes`. */
  readonly tensors: TensorMap;
  readonly origin: Readonly<Record<TrainingStage, AdapterOrigin>>;
}

/**
 * The adapters a run starts from. A stage whose weights appear in the given files is loaded from
 * them — all of that stage's weights must be there, each with the model's shape (a file for
 * another model size fails naming the tensor and both shapes); any other stage is initialised
 * Xavier-uniform, seeded.
 */
export async function initialAdapters(options: InitialAdaptersOptions): Promise<InitialAdapters> {
  const files = options.files ?? [];
  const source = files.join(' + ');
  const loaded: TensorMap = new Map();
  for (const file of files) {
    for (const [key, tensor] of stripCommonPrefix(await readWeightsFile(file))) loaded.set(key, tensor);
  }
  // The reference's --relu variant (projections + LeakyReLU, `…fc.0.weight`) is read by detect and
  // eval; training builds the paper's plain projections only, so it is refused here by name.
  if (projectionActivation(loaded, source) === 'leaky-relu') {
    throw new AaclipError(
      `holds the reference's --relu adapter variant ("${segProjKey(0, 'leaky-relu')}": projections followed by a LeakyReLU); ` +
        'training starts from the plain variant only (aaclip detect and eval read this file as it is)',
      source,
    );
  }
  const holds = (stage: TrainingStage): boolean => [...loaded.keys()].some((k) => k.startsWith(STAGE_ADAPTER_PREFIX[stage]));
  if (files.length > 0 && !TRAINING_STAGES.some(holds)) {
    throw new AaclipError('holds no adapter weights (no text_adapter.* or image_adapter.* tensor)', source);
  }

  const byStage = new Map<TrainingStage, TensorMap>();
  const origin: Record<TrainingStage, AdapterOrigin> = { text: 'xavier', image: 'xavier' };
  for (const stage of TRAINING_STAGES) {
    const shapes = stageAdapterShapes(options.shapes, stage);
    if (holds(stage)) {
      byStage.set(stage, checkTensorShapes(shapes, loaded, source));
      origin[stage] = 'file';
    } else {
      byStage.set(stage, xavierUniformAdapters(shapes, options.seed));
    }
  }
  const tensors: TensorMap = new Map();
  for (const key of options.shapes.keys()) {
    const stage = TRAINING_STAGES.find((s) => key.startsWith(STAGE_ADAPTER_PREFIX[s]));
    const tensor = stage ? byStage.get(stage)?.get(key) : undefined;
    if (!tensor) throw new AaclipError(`"${key}" is not a text_adapter.* or image_adapter.* weight`, 'adapter shapes');
    tensors.set(key, tensor);
  }
  return { tensors, origin };
}
