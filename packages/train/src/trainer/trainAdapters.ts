// A training run: stage 1 (text adapters), then stage 2 (image adapters), as the reference trains
// them — Adam on each step's exact gradients, a checkpoint after every epoch, resumable, and the
// trained adapters written at the end.
import {
  AaclipError,
  Adam,
  DEFAULT_PROMPT_SET,
  MultiStepLr,
  adapterWeightShapes,
  buildImageTrainingStep,
  buildTextTrainingStep,
  countedTextStageLevels,
  resolveBackend,
  writeSafetensors,
} from '@aaclip/core';
import type { AaclipSettings, Backend, PromptSet, SessionOptions, Tensor, TensorMap, TrainingSettings } from '@aaclip/core';
import { writeFileAtomic } from '@aaclip/backend-node';
import { stageAdapterShapes, type TrainingStage } from '../adapters/trainingStage.js';
import { readCheckpoint, writeCheckpoint } from '../checkpoint/checkpointFile.js';
import { CHECKPOINT_FOLDER, checkpointPath, findLatestCheckpoint } from '../checkpoint/checkpointLocation.js';
import type { TrainingData } from '../data/trainingExample.js';
import { initialAdapters } from '../init/initialAdapters.js';
import { appendTrainLog } from '../log/trainLog.js';
import { writeFinalAdapters } from '../output/finalAdapters.js';
import { epochBatches } from './batches.js';
import { SurgeryFeatures, classAnchorsFor, classPromptIds, oneHot, prepareExample, stack, type PreparedExample } from './stageInputs.js';
import { StepSessions, type StepOutcome } from './stepSessions.js';
import type { TrainingModel } from './trainingModel.js';

/** What a run reports as it goes (for progress bars and logs). */
export type TrainEvent =
  | { readonly kind: 'status'; readonly message: string }
  | { readonly kind: 'stage-start'; readonly stage: TrainingStage; readonly fromEpoch: number; readonly epochs: number; readonly stepsPerEpoch: number }
  | {
      readonly kind: 'step';
      readonly stage: TrainingStage;
      readonly epoch: number;
      readonly epochs: number;
      readonly step: number;
      readonly stepsPerEpoch: number;
      readonly globalStep: number;
      readonly loss: number;
      readonly lr: number;
      readonly imagesPerSecond: number;
    }
  | { readonly kind: 'checkpoint'; readonly stage: TrainingStage; readonly epoch: number; readonly file: string }
  | { readonly kind: 'stage-end'; readonly stage: TrainingStage };

export interface TrainRunOptions {
  readonly model: TrainingModel;
  readonly data: TrainingData;
  /** The stages to train, in order. */
  readonly stages: readonly TrainingStage[];
  /** Model settings (imageSize, levels, adapters' placement); the domain does not matter for training. */
  readonly settings: AaclipSettings;
  readonly training: TrainingSettings;
  readonly promptSet?: PromptSet;
  /** `--init-adapters` files (safetensors or the reference's .pth). */
  readonly initAdapterFiles?: readonly string[];
  readonly outDir: string;
  /** Continue from the latest checkpoint in `outDir`. */
  readonly resume?: boolean;
  readonly backend?: string;
  readonly device?: string;
  /** Threads per model run (see SessionOptions.threads); omitted → the backend's default (node: every core). */
  readonly threads?: number;
  /** Recompute block activations in the backward pass (less memory, ~1.3× the time). */
  readonly checkpointing?: boolean;
  /**
   * Compute the first step of the first stage to train, write its gradients (adapter key names)
   * and `loss` [1] to this safetensors file, and stop without updating anything.
   */
  readonly saveFirstGradients?: string;
  /** Memory for stage-1 features kept between epochs when nothing is augmented (default 2 GiB). */
  readonly featureCacheBytes?: number;
  readonly onEvent?: (event: TrainEvent) => void;
}

export interface TrainResult {
  /** `<out>/aaclip_adapters.safetensors`, or null when the run stopped after the first gradients. */
  readonly adaptersFile: string | null;
  readonly firstGradientsFile: string | null;
  /** The last step's loss per stage trained in this run. */
  readonly lastLoss: Partial<Record<TrainingStage, number>>;
}

const DEFAULT_FEATURE_CACHE = 2 * 1024 ** 3;

interface StageStart {
  readonly fromEpoch: number;
  readonly globalStep: number;
  /** Adam's state to continue from (Adam.state() form), or null for a fresh start. */
  readonly optimizer: TensorMap | null;
  readonly checkpointFile: string | null;
}

/** A copy of every adapter as its own mutable float32 array (file-backed views must not be written). */
function mutableAdapters(tensors: TensorMap): Map<string, Tensor> {
  return new Map([...tensors].map(([k, t]) => [k, { dtype: 'F32', shape: [...t.shape], data: Float32Array.from(t.data as Float32Array) }]));
}

async function anyCheckpoint(outDir: string): Promise<boolean> {
  return (await findLatestCheckpoint(outDir, 'text')) !== null || (await findLatestCheckpoint(outDir, 'image')) !== null;
}

export async function trainAdapters(options: TrainRunOptions): Promise<TrainResult> {
  const { model, data, settings, training, outDir } = options;
  const emit = options.onEvent ?? (() => undefined);
  const promptSet = options.promptSet ?? DEFAULT_PROMPT_SET;
  const shapes = adapterWeightShapes(model.config, settings);
  if (data.examples.length === 0) throw new AaclipError('no training images', data.root);
  if (options.stages.length === 0) throw new AaclipError('no stage to train', 'stages');

  // Where each stage starts: fresh, or from the latest checkpoint.
  if (!options.resume && !options.saveFirstGradients && (await anyCheckpoint(outDir))) {
    throw new AaclipError(`holds checkpoints of an earlier run (${CHECKPOINT_FOLDER}/); pass --resume to continue it, or choose another output folder`, outDir);
  }
  let adapters = mutableAdapters((await initialAdapters({ shapes, seed: training.seed, files: options.initAdapterFiles })).tensors);
  const starts = new Map<TrainingStage, StageStart>();
  if (options.resume) {
    for (const stage of [...options.stages].reverse()) {
      const latest = await findLatestCheckpoint(outDir, stage);
      if (!latest) continue;
      const ckpt = await readCheckpoint(latest.file, shapes);
      if (ckpt.seed !== training.seed) {
        throw new AaclipError(`was written by a run with seed ${ckpt.seed}; resume with --seed ${ckpt.seed}`, latest.file);
      }
      adapters = mutableAdapters(ckpt.adapters);
      starts.set(stage, { fromEpoch: ckpt.epoch + 1, globalStep: ckpt.globalStep, optimizer: ckpt.optimizer, checkpointFile: latest.file });
      // Every stage before the one resumed has finished.
      for (const earlier of options.stages.slice(0, options.stages.indexOf(stage))) starts.set(earlier, { fromEpoch: Infinity, globalStep: 0, optimizer: null, checkpointFile: null });
      emit({ kind: 'status', message: `resuming ${stage} stage after epoch ${ckpt.epoch} from ${latest.file}` });
      break;
    }
  }

  const { backend, device } = await resolveBackend({ backend: options.backend, device: options.device });
  const lastLoss: Partial<Record<TrainingStage, number>> = {};
  for (const stage of options.stages) {
    const start = starts.get(stage) ?? { fromEpoch: 1, globalStep: 0, optimizer: null, checkpointFile: null };
    const epochs = stage === 'text' ? training.text.epochs : training.image.epochs;
    if (start.fromEpoch > epochs && !options.saveFirstGradients) continue;
    const outcome = await trainStage({ ...options, stage, start, adapters, backend, device, promptSet, shapes, emit });
    if (outcome.loss !== undefined) lastLoss[stage] = outcome.loss;
    if (outcome.firstGradientsFile) return { adaptersFile: null, firstGradientsFile: outcome.firstGradientsFile, lastLoss };
  }
  const adaptersFile = await writeFinalAdapters(outDir, adapters, shapes);
  return { adaptersFile, firstGradientsFile: null, lastLoss };
}

interface StageRun extends Omit<TrainRunOptions, 'backend' | 'device'> {
  readonly stage: TrainingStage;
  readonly start: StageStart;
  readonly adapters: Map<string, Tensor>;
  readonly backend: Backend;
  readonly device: string;
  readonly promptSet: PromptSet;
  readonly shapes: ReturnType<typeof adapterWeightShapes>;
  readonly emit: (event: TrainEvent) => void;
}

async function trainStage(run: StageRun): Promise<{ loss?: number; firstGradientsFile?: string }> {
  const { stage, model, data, settings, training, adapters, backend, device, emit } = run;
  const session: SessionOptions = { device, ...(run.threads === undefined ? {} : { threads: run.threads }) };
  const size = settings.imageSize;
  const batchSize = stage === 'text' ? training.text.batchSize : training.image.batchSize;
  const epochs = stage === 'text' ? training.text.epochs : training.image.epochs;
  const classes = data.classes;
  const promptNames = classes.map((c) => data.examples.find((e) => e.className === c)!.promptName);
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const stepsPerEpoch = Math.ceil(data.examples.length / batchSize);

  const trainable = [...stageAdapterShapes(run.shapes, stage).keys()];
  const params = new Map(trainable.map((k) => [k, adapters.get(k)!.data as Float32Array]));
  const adam = new Adam(params, training.adam, new Map(trainable.map((k) => [k, adapters.get(k)!.shape])));
  if (run.start.optimizer) adam.loadState(run.start.optimizer, run.start.checkpointFile ?? 'checkpoint');
  const schedule = stage === 'image' ? MultiStepLr.forImageStage(training.image) : null;
  const lrAt = (step: number): number => (schedule ? schedule.at(step) : training.text.learningRate);

  // What the step needs besides the batch.
  emit({ kind: 'status', message: `building the ${stage} training step` });
  const levels = countedTextStageLevels(settings.levels.length, training.text.levels);
  let surgery: SurgeryFeatures | null = null;
  let promptIds: ReturnType<typeof classPromptIds> | null = null;
  let anchors: Float32Array[] = [];
  if (stage === 'text') {
    promptIds = classPromptIds(model.tokenizer, promptNames, run.promptSet, model.config.text_cfg.context_length);
    surgery = await SurgeryFeatures.create(model, settings, training, levels, backend, session);
  } else {
    emit({ kind: 'status', message: 'computing the anchors of every class with the text adapters' });
    anchors = await classAnchorsFor(model, adapters, settings, run.promptSet, promptNames, backend, session);
  }
  const counts = promptIds ? { normalCount: promptIds.normalCount, abnormalCount: promptIds.abnormalCount } : { normalCount: 1, abnormalCount: 1 };
  const base = { config: model.config, weights: model.weights, adapters, settings, training, weightsSource: model.sources?.weights };
  const sessions = new StepSessions(backend, session, (b) =>
    stage === 'text'
      ? buildTextTrainingStep({ ...base, batchSize: b, classCount: classes.length, prompts: counts }, { checkpointing: run.checkpointing })
      : buildImageTrainingStep({ ...base, batchSize: b }, { checkpointing: run.checkpointing }),
  );

  // Stage 1 without augmentation: an image's features and mask never change; keep them.
  const cacheable = !training.augment;
  const cache = new Map<number, { features: Float32Array[]; mask: Uint8Array }>();
  let cachedBytes = 0;
  const cacheBudget = run.featureCacheBytes ?? DEFAULT_FEATURE_CACHE;

  const textFeeds = async (indices: readonly number[], epoch: number): Promise<Record<string, Tensor>> => {
    const items: { features: Float32Array[]; mask: Float32Array }[] = new Array(indices.length);
    const fresh: { slot: number; index: number; prepared: PreparedExample }[] = [];
    for (const [slot, index] of indices.entries()) {
      const hit = cacheable ? cache.get(index) : undefined;
      if (hit) items[slot] = { features: hit.features, mask: Float32Array.from(hit.mask) };
      else fresh.push({ slot, index, prepared: await prepareExample(data.examples[index]!, { stage, epoch, index, size, training, preprocess: model.preprocess }) });
    }
    if (fresh.length > 0) {
      const features = await surgery!.compute(fresh.map((f) => f.prepared.pixels));
      fresh.forEach((f, i) => {
        items[f.slot] = { features: features[i]!, mask: f.prepared.mask };
        const bytes = features[i]!.reduce((n, a) => n + a.byteLength, 0) + f.prepared.mask.length;
        if (cacheable && cachedBytes + bytes <= cacheBudget) {
          cache.set(f.index, { features: features[i]!, mask: Uint8Array.from(f.prepared.mask) });
          cachedBytes += bytes;
        }
      });
    }
    const grid = Math.round(Math.sqrt(items[0]!.features[0]!.length / model.config.embed_dim));
    const feeds: Record<string, Tensor> = {
      input_ids: promptIds!.ids,
      class_one_hot: oneHot(indices.map((i) => classIndex.get(data.examples[i]!.className)!), classes.length),
      masks: stack(items.map((it) => it.mask), [size, size]),
    };
    levels.forEach((level, j) => {
      feeds[`patch_features_${level}`] = stack(items.map((it) => it.features[j]!), [grid * grid, model.config.embed_dim]);
    });
    return feeds;
  };

  const imageFeeds = async (indices: readonly number[], epoch: number): Promise<Record<string, Tensor>> => {
    const prepared = await Promise.all(indices.map((index) => prepareExample(data.examples[index]!, { stage, epoch, index, size, training, preprocess: model.preprocess })));
    const embed = model.config.embed_dim;
    return {
      pixel_values: stack(prepared.map((p) => p.pixels), [3, size, size]),
      anchors: stack(indices.map((i) => anchors[classIndex.get(data.examples[i]!.className)!]!), [embed, 2]),
      label_one_hot: oneHot(indices.map((i) => data.examples[i]!.label), 2),
      masks: stack(prepared.map((p) => p.mask), [size, size]),
    };
  };

  let globalStep = run.start.globalStep;
  let lastCheckpoint = run.start.checkpointFile;
  let loss: number | undefined;
  try {
    emit({ kind: 'stage-start', stage, fromEpoch: run.start.fromEpoch, epochs, stepsPerEpoch });
    for (let epoch = run.start.fromEpoch; epoch <= epochs || (run.saveFirstGradients && epoch === run.start.fromEpoch); epoch++) {
      const batches = epochBatches(data.examples.length, batchSize, training.seed, stage, epoch);
      for (const [b, indices] of batches.entries()) {
        const started = performance.now();
        const feeds = stage === 'text' ? await textFeeds(indices, epoch) : await imageFeeds(indices, epoch);
        const outcome: StepOutcome = await sessions.run(indices.length, feeds, adapters);
        if (run.saveFirstGradients) {
          await writeFirstGradients(run.saveFirstGradients, outcome, adapters);
          return { loss: outcome.loss, firstGradientsFile: run.saveFirstGradients };
        }
        if (!Number.isFinite(outcome.loss)) {
          const parts = Object.entries(outcome.parts).map(([k, v]) => `${k} ${v}`).join(', ');
          throw new AaclipError(
            `the loss became ${outcome.loss} at step ${globalStep + 1} (epoch ${epoch}, batch ${b + 1}${parts ? `; ${parts}` : ''}); ` +
              (lastCheckpoint ? `the last good checkpoint is ${lastCheckpoint}` : 'no checkpoint was written yet'),
            `${stage} stage`,
          );
        }
        const lr = lrAt(globalStep);
        adam.step(outcome.gradients, lr);
        globalStep++;
        loss = outcome.loss;
        const imagesPerSecond = indices.length / ((performance.now() - started) / 1000);
        await appendTrainLog(run.outDir, { stage, epoch, step: globalStep, loss, lr, imagesPerSecond });
        emit({ kind: 'step', stage, epoch, epochs, step: b + 1, stepsPerEpoch, globalStep, loss, lr, imagesPerSecond });
      }
      const file = checkpointPath(run.outDir, stage, epoch);
      await writeCheckpoint(file, { stage, epoch, globalStep, seed: training.seed, adapters, optimizer: adam.state() });
      lastCheckpoint = file;
      emit({ kind: 'checkpoint', stage, epoch, file });
    }
    emit({ kind: 'stage-end', stage });
    return { loss };
  } finally {
    await sessions.dispose();
    await surgery?.dispose();
  }
}

/** The first step's gradients under the adapters' key names, plus `loss` [1]. */
async function writeFirstGradients(file: string, outcome: StepOutcome, adapters: ReadonlyMap<string, Tensor>): Promise<void> {
  const tensors: TensorMap = new Map();
  for (const [key, grad] of outcome.gradients) tensors.set(key, { dtype: 'F32', shape: [...adapters.get(key)!.shape], data: grad });
  tensors.set('loss', { dtype: 'F32', shape: [1], data: new Float32Array([outcome.loss]) });
  await writeFileAtomic(file, writeSafetensors(tensors, { content: 'first-step gradients' }));
}
