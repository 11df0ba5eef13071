import path from 'node:path';
import { parseArgs } from 'node:util';
import { AaclipError, AnomalyDetector, ZeroShotMode, parseAaclipSettings } from '@aaclip/core';
import { allowPathsOutsideRoot, loadDataset, loadDatasetPlugins } from '@aaclip/datasets';
import { evaluateDataset, formatPercent, meanMetrics, METRIC_NAMES } from '@aaclip/eval';
import type { EvaluationClass, MapDetector } from '@aaclip/eval';
import type { Command } from './command.js';
import { MODEL_OPTION_SPECS, MODEL_OPTIONS_HELP, parsePositiveInt, resolveModelOptions } from '../options/modelOptions.js';
import { checkOutFolder } from '../options/outFolder.js';
import { createProgress } from '../output/progress.js';
import { startDetector } from '../options/startDetector.js';
import { DATASET_OPTION_SPECS, DATASET_OPTIONS_HELP, datasetOptions } from '../options/datasetOptions.js';
import { QUEUE_OPTION_SPECS, RETRY_OPTION_SPECS } from '../options/queueOptions.js';
import { EVAL_QUEUE_HELP, queuedScoring } from './evalQueue.js';

const USAGE = `Usage: aaclip eval --dataset <kind> --root <dir> [model options] [--classes a,b] --out <dir>

Scores the test images of a dataset with AA-CLIP and reports the metrics of the AA-CLIP protocol
(per-class min–max normalisation; image score ½·max(map) + ½·score for industrial sets, max(map)
for medical ones; masks resized nearest-neighbour to the model's image size). Writes:
  <out>/metrics.json        {"classes": {<class>: {pixel_auroc, pixel_ap, pixel_aupro, pixel_f1max,
                            image_auroc, image_ap, image_f1max}}, "mean": {…}}, fractions, null where undefined
  <out>/metrics.csv, <out>/report.md, <out>/report.html (table, ROC/PR curves, heatmap gallery)
  <out>/classes/<class>.json  each class as it finishes (what --resume continues from)
  <out>/gallery/<class>/*.png the highest- and lowest-scored images with their heatmaps
  (<class> is the class name when it is only letters, digits, "_", "-", "."; any other name is
  escaped and given a hash suffix, "a b" → "a_b~c868…", so no two classes share files)
Masks of another size than their image, or all zero for an anomalous image, are warned about
(on stderr, as \`aaclip datasets check --decode\` lists them) and used as they are.

  --dataset <kind>          dataset format (mvtec, visa, mpdd, btad, … as registered in @aaclip/datasets)
  --root <dir>              the dataset's folder
  --classes <a,b,…>         only these classes (default: all)
  --out <dir>               output folder (created if missing)
  --resume                  keep the classes an earlier run of the same evaluation finished in <out>
  --gallery <n>             highest- and lowest-scored images shown per class (default 3; 0: none)
  --save-maps               also save each class's raw maps, masks, labels and scores to
                            <out>/maps/<class>.safetensors
  --no-aupro                skip pixel AUPRO
  --allow-outside-root      let a list file (jsonl manifest, VisA split CSV) name images outside --root
${DATASET_OPTIONS_HELP}
  The domain (and so the blur and the image-score rule) is the dataset's unless --domain is given.

${MODEL_OPTIONS_HELP}

${EVAL_QUEUE_HELP}

Examples:
  aaclip eval --dataset mvtec --root ./mvtec_anomaly_detection --model ./ViT-L-14-336-aaclip --out runs/mvtec
  aaclip eval --dataset mvtec --root ./mvtec_anomaly_detection --model ./ViT-L-14-336-aaclip --out runs/mvtec \\
    --redis redis://queue-host:6379 --queue mvtec   (with \`aaclip worker --redis … --queue mvtec --model …\` running)`;

export const evalCommand: Command = {
  name: 'eval',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        ...MODEL_OPTION_SPECS,
        ...DATASET_OPTION_SPECS,
        dataset: { type: 'string' },
        root: { type: 'string' },
        classes: { type: 'string' },
        out: { type: 'string' },
        resume: { type: 'boolean' },
        gallery: { type: 'string' },
        'save-maps': { type: 'boolean' },
        'no-aupro': { type: 'boolean' },
        'allow-outside-root': { type: 'boolean' },
        ...QUEUE_OPTION_SPECS,
        ...RETRY_OPTION_SPECS,
      },
    });
    if (positionals.length) throw new AaclipError(`unexpected argument "${positionals[0]}" (usage: aaclip eval --help)`);
    for (const flag of ['dataset', 'root', 'out'] as const) {
      if (!values[flag]) throw new AaclipError('is required', `--${flag}`);
    }
    const outDir = values.out!;
    const gallerySize = values.gallery === '0' ? 0 : (parsePositiveInt(values.gallery, '--gallery') ?? 3);

    await loadDatasetPlugins(values.plugin ?? []);
    const optionValues = datasetOptions(values.option);
    const options = values['allow-outside-root'] ? allowPathsOutsideRoot(values.dataset!, optionValues, '--allow-outside-root') : optionValues;
    const dataset = await loadDataset(values.dataset!, values.root!, options);
    const selected = selectClasses(values.classes, dataset.classes);
    const classes: EvaluationClass[] = selected.map((name) => {
      const samples = dataset.samples.filter((s) => s.className === name && s.split === 'test');
      if (samples.length === 0) throw new AaclipError(`class "${name}" has no test images`, dataset.root);
      return { name, promptName: dataset.promptName(name), samples };
    });
    // A file, an unwritable folder or one holding the images fails now, not after all the scoring.
    const inputs = classes.flatMap((c) => c.samples.flatMap((s) => (s.maskPath ? [s.imagePath, s.maskPath] : [s.imagePath])));
    await checkOutFolder(outDir, inputs);

    const choice = await resolveModelOptions(values);
    const domain = choice.settings.domain ?? dataset.domain;
    const settings = parseAaclipSettings({ ...choice.settings, domain }, 'settings');
    const run = {
      dataset: dataset.kind,
      root: dataset.root,
      ...(choice.files
        ? {
            modelConfig: path.resolve(choice.files.modelConfig),
            weights: path.resolve(choice.files.weights),
            adapters: choice.files.adapters.map((a) => path.resolve(a)),
            // A run without adapters records its baseline, so --resume never mixes plain and surgery maps.
            ...(choice.files.adapters.length === 0 ? { zeroShot: ZeroShotMode.parse(choice.zeroShot) } : {}),
            vocab: path.resolve(choice.files.vocab),
          }
        : { bundle: path.resolve(choice.bundle!) }),
      imageSize: settings.imageSize,
      domain,
      aupro: !values['no-aupro'],
    };

    const progress = createProgress(process.stderr);
    let detector: AnomalyDetector | null = null;
    // --queue: the images are scored by `aaclip worker` processes (commands/evalQueue.ts).
    const queued = values.queue !== undefined || values.redis !== undefined ? await queuedScoring(values, { imageSize: settings.imageSize, domain }, classes, progress) : null;
    const makeDetector = queued ? queued.detector : async (): Promise<MapDetector> => {
      detector = await startDetector(choice, progress, { domain }, classes.map((c) => c.promptName));
      return detector;
    };

    let result: Awaited<ReturnType<typeof evaluateDataset>>;
    try {
      result = await evaluateDataset({
        detector: makeDetector,
        classes,
        domain,
        outDir,
        resume: values.resume ?? false,
        run,
        gallerySize,
        saveMaps: values['save-maps'] ?? false,
        aupro: !values['no-aupro'],
        batchSize: choice.batchSize,
        ...(queued ? { decodeImage: queued.decodeImage } : {}),
        title: `AA-CLIP evaluation on ${dataset.kind}`,
        details: {
          dataset: `${dataset.kind} (${dataset.root})`,
          domain,
          ...('bundle' in run
            ? { bundle: run.bundle }
            : { weights: run.weights, adapters: run.adapters.length ? run.adapters.join(', ') : 'none (plain CLIP)' }),
          'image size': String(settings.imageSize),
          date: new Date().toISOString(),
        },
        onProgress: (p) => progress.update(p.done, p.total, `${p.className} ${p.image ? path.basename(p.image) : ''}`),
        onClassDone: (r, resumed) => {
          progress.done();
          const cells = METRIC_NAMES.map((n) => `${n}=${formatPercent(r.metrics[n])}`).join('\t');
          console.log(`${r.className}\t${cells}${resumed ? '\t(resumed)' : ''}`);
        },
      });
    } finally {
      progress.done();
      if (detector) await (detector as AnomalyDetector).dispose();
      await queued?.close();
    }
    if (result.classes.length > 1) {
      const mean = meanMetrics(result.classes.map((c) => c.metrics));
      console.log(`mean\t${METRIC_NAMES.map((n) => `${n}=${formatPercent(mean[n])}`).join('\t')}`);
    }
    console.log(`reports: ${result.files.join(', ')}`);
    if (result.staleFilesRemoved.length > 0) {
      console.error(`aaclip eval: removed ${result.staleFilesRemoved.length} temporary file${result.staleFilesRemoved.length === 1 ? '' : 's'} an interrupted run left in ${outDir}`);
    }
    for (const w of result.warnings) console.error(`aaclip eval: warning: ${w}`);
    if (result.failures.length > 0) {
      console.error(`aaclip eval: ${result.failures.length} images could not be scored (their classes are evaluated without them):`);
      for (const f of result.failures) console.error(`  ${f}`);
      return 1;
    }
    return 0;
  },
};

/** The classes named by --classes (comma-separated), in the dataset's order; all when absent. */
function selectClasses(list: string | undefined, available: readonly string[]): string[] {
  if (list === undefined) return [...available];
  const wanted = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (wanted.length === 0) throw new AaclipError('names no class', '--classes');
  for (const name of wanted) {
    if (!available.includes(name)) throw new AaclipError(`unknown class "${name}" (classes: ${available.join(', ')})`, '--classes');
  }
  return available.filter((c) => wanted.includes(c));
}
