import path from 'node:path';
import { parseArgs } from 'node:util';
import { AaclipError, parseAaclipSettings, parseTrainingSettings, Stage1Levels, type TrainingSettingsInput } from '@aaclip/core';
import { loadModelFiles } from '@aaclip/backend-node';
import { loadDatasetPlugins } from '@aaclip/datasets';
import { loadTrainingData, trainAdapters, type TrainEvent, type TrainingStage } from '@aaclip/train';
import type { Command } from './command.js';
import { parsePositiveInt, resolveModelFiles } from '../options/modelOptions.js';
import { checkOutFolder } from '../options/outFolder.js';
import { createProgress } from '../output/progress.js';
import { DATASET_OPTION_SPECS, DATASET_OPTIONS_HELP, datasetOptions } from '../options/datasetOptions.js';
import '../options/registerBackends.js';

const USAGE = `Usage: aaclip train --dataset <kind> --root <dir> (--model <dir> | --model-config <json> --weights <file> --vocab <file>) --out <dir> [options]

Trains AA-CLIP's adapters as the reference does: stage 1 (text adapters: anomaly-aware anchors,
against the frozen V-V-attention image features), then stage 2 (image adapters and the four
patch projections, against the anchors of stage 1). Every step computes the exact gradients of
the reference's losses with an ONNX training graph on the chosen backend, and Adam updates the
adapters. Trains on the split with ground truth (normal images with empty masks, anomalous ones
with their masks), like the reference. Writes:
  <out>/aaclip_adapters.safetensors   the trained adapters (aaclip detect --adapters loads it)
  <out>/checkpoints/<stage>_epoch_NNN.safetensors   after every epoch: adapters, Adam state, epoch
  <out>/train.log                      one JSON line per step: stage, epoch, step, loss, lr, images/s

Data:
  --dataset <kind>          dataset format (mvtec, visa, … as registered in @aaclip/datasets)
  --root <dir>              the dataset's folder
  --shots <k>               k normal and k anomalous images per class, drawn with --seed (default: all)
  --manifest <jsonl>        train on exactly these lines ({"image_path","label","class_name","mask_path"},
                            paths relative to --root); prompt names still come from --dataset
  --allow-outside-root      accept manifest (or VisA split CSV) paths outside --root
${DATASET_OPTIONS_HELP}
Model:
  --model <dir>             a folder with open_clip_config.json, open_clip_model.safetensors and the vocabulary
                            (adapters in it are not read); or, when no such folder exists, a preset
                            (ViT-L-14-336, ViT-L-14, ViT-B-16) or hub repo id org/name[@rev], fetched
                            into the Hugging Face hub cache as \`aaclip pull\` does
  --model-config <json>     open_clip model config
  --weights <file>          open_clip weights (.safetensors; PyTorch .pth/.bin or OpenAI's TorchScript .pt,
                            read without executing code)
  --vocab <file>            CLIP BPE vocabulary
  --image-size <n>          input size in pixels (default 518, at most 4096)
  --init-adapters <file>    start from these adapters (.safetensors or the reference's .pth; repeatable);
                            a stage absent from them starts Xavier-uniform (seeded); the reference's
                            --relu variant is refused (training builds the plain projections)
Training (defaults: the reference's):
  --stage <s>               text | image | both (default both)
  --text-epochs <n>         stage-1 epochs (default 5)
  --image-epochs <n>        stage-2 epochs (default 20)
  --text-lr <x>             stage-1 learning rate (default 1e-5)
  --image-lr <x>            stage-2 learning rate (default 5e-4; halved at steps 16000 and 32000)
  --text-batch <n>          stage-1 images per step (default 16)
  --image-batch <n>         stage-2 images per step (default 2)
  --stage1-levels <l>       last (default: the reference counts only the last level's loss) | all
  --seed <n>                seeds shots, shuffling, augmentation and initialisation (default 111)
  --no-augment              no rotation, translation, flips or colour jitter
  --checkpointing           recompute block activations in the backward pass (much less memory,
                            about a third more time): for ViT-L at 518 on small machines
  --resume                  continue from the latest checkpoint in --out
  --save-first-grads <file> compute the first step of the (first) stage, write its gradients
                            (adapter key names) and "loss" to this safetensors file, and stop
Runtime:
  --backend <name>          node | web (default: the first that starts)
  --device <name>           cpu | cuda | webgpu (node), wasm (web)
  --threads <n>             threads per model run (default: every core)
  --out <dir>               output folder (created if missing)

Examples:
  aaclip train --dataset visa --root ./VisA_20220922 --model ./ViT-L-14-336 --out runs/visa-full
  aaclip train --dataset visa --root ./VisA_20220922 --model ViT-L-14-336 --out runs/visa-full`;

const STAGES: Readonly<Record<string, readonly TrainingStage[]>> = { text: ['text'], image: ['image'], both: ['text', 'image'] };

/** A path relative to the working directory when it lies inside it, else absolute. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative;
}

function parseNumber(value: string | undefined, flag: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    throw new AaclipError(`expected a ${integer ? 'non-negative whole number' : 'non-negative number'}, got "${value}"`, flag);
  }
  return n;
}

/** Drops undefined fields so the schema's defaults apply. */
function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export const trainCommand: Command = {
  name: 'train',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        ...DATASET_OPTION_SPECS,
        dataset: { type: 'string' },
        root: { type: 'string' },
        shots: { type: 'string' },
        manifest: { type: 'string' },
        'allow-outside-root': { type: 'boolean' },
        model: { type: 'string' },
        'model-config': { type: 'string' },
        weights: { type: 'string' },
        vocab: { type: 'string' },
        'image-size': { type: 'string' },
        'init-adapters': { type: 'string', multiple: true },
        stage: { type: 'string' },
        'text-epochs': { type: 'string' },
        'image-epochs': { type: 'string' },
        'text-lr': { type: 'string' },
        'image-lr': { type: 'string' },
        'text-batch': { type: 'string' },
        'image-batch': { type: 'string' },
        'stage1-levels': { type: 'string' },
        seed: { type: 'string' },
        'no-augment': { type: 'boolean' },
        checkpointing: { type: 'boolean' },
        resume: { type: 'boolean' },
        'save-first-grads': { type: 'string' },
        backend: { type: 'string' },
        device: { type: 'string' },
        threads: { type: 'string' },
        out: { type: 'string' },
      },
    });
    if (positionals.length) throw new AaclipError(`unexpected argument "${positionals[0]}" (usage: aaclip train --help)`);
    for (const flag of ['dataset', 'root', 'out'] as const) {
      if (!values[flag]) throw new AaclipError('is required', `--${flag}`);
    }
    await checkOutFolder(values.out!); // a file or an unwritable folder is refused before any training
    const stages = STAGES[values.stage ?? 'both'];
    if (!stages) throw new AaclipError(`expected text, image or both, got "${values.stage}"`, '--stage');
    let levels: Stage1Levels | undefined;
    if (values['stage1-levels'] !== undefined) {
      const parsed = Stage1Levels.safeParse(values['stage1-levels']);
      if (!parsed.success) throw new AaclipError(`expected last or all, got "${values['stage1-levels']}"`, '--stage1-levels');
      levels = parsed.data;
    }
    const trainingInput: TrainingSettingsInput = defined({
      text: defined({
        epochs: parseNumber(values['text-epochs'], '--text-epochs', true),
        learningRate: parseNumber(values['text-lr'], '--text-lr', false),
        batchSize: parsePositiveInt(values['text-batch'], '--text-batch'),
        levels,
      }),
      image: defined({
        epochs: parseNumber(values['image-epochs'], '--image-epochs', true),
        learningRate: parseNumber(values['image-lr'], '--image-lr', false),
        batchSize: parsePositiveInt(values['image-batch'], '--image-batch'),
      }),
      augment: values['no-augment'] ? false : undefined,
      seed: parseNumber(values.seed, '--seed', true),
    });
    const training = parseTrainingSettings(trainingInput, 'training options');
    const imageSize = parsePositiveInt(values['image-size'], '--image-size');
    const settings = parseAaclipSettings(imageSize === undefined ? {} : { imageSize }, '--image-size');

    // Everything the user gave is checked before any work: data, then the model files.
    await loadDatasetPlugins(values.plugin ?? []);
    const progress = createProgress(process.stderr);
    progress.status('data: reading the dataset');
    const data = await loadTrainingData({
      kind: values.dataset!,
      root: values.root!,
      datasetOptions: datasetOptions(values.option),
      shots: parsePositiveInt(values.shots, '--shots'),
      seed: training.seed,
      manifestPath: values.manifest,
      allowOutsideRoot: values['allow-outside-root'] ?? false,
    });
    // The adapters a --model folder may hold are not read: training starts from --init-adapters.
    const files = await resolveModelFiles(values, false);
    progress.status('model: reading files');
    const model = await loadModelFiles(files);

    const outDir = path.resolve(values.out!);
    const onEvent = (event: TrainEvent): void => {
      switch (event.kind) {
        case 'status':
          progress.status(event.message);
          break;
        case 'step': {
          const loss = event.loss.toPrecision(5);
          progress.update(event.step, event.stepsPerEpoch, `${event.stage} epoch ${event.epoch}/${event.epochs} loss ${loss} ${event.imagesPerSecond.toFixed(2)} img/s`);
          break;
        }
        case 'checkpoint':
          progress.done();
          console.error(`${event.stage} epoch ${event.epoch}: checkpoint ${displayPath(event.file)}`);
          break;
        case 'stage-start':
          progress.done();
          console.error(`${event.stage} stage: ${data.examples.length} images of ${data.classes.length} class${data.classes.length === 1 ? '' : 'es'}, ${event.stepsPerEpoch} steps per epoch, epochs ${event.fromEpoch}–${event.epochs}`);
          break;
        case 'stage-end':
          break;
      }
    };
    try {
      const result = await trainAdapters({
        model,
        data,
        stages,
        settings,
        training,
        initAdapterFiles: values['init-adapters'],
        outDir,
        resume: values.resume ?? false,
        backend: values.backend,
        device: values.device,
        threads: parsePositiveInt(values.threads, '--threads'),
        checkpointing: values.checkpointing ?? false,
        saveFirstGradients: values['save-first-grads'],
        onEvent,
      });
      progress.done();
      if (result.firstGradientsFile) {
        const loss = Object.values(result.lastLoss)[0];
        console.log(`first-step gradients and loss ${loss} written to ${result.firstGradientsFile}`);
      } else {
        const losses = Object.entries(result.lastLoss).map(([stage, loss]) => `${stage} ${loss.toPrecision(5)}`).join(', ');
        console.log(`adapters written to ${result.adaptersFile}${losses ? ` (last loss: ${losses})` : ''}`);
      }
      return 0;
    } finally {
      progress.done();
    }
  },
};
