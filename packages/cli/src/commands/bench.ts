import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { AaclipError, scoreImage, settingsBlur, type AnomalyDetector, type RawImage } from '@aaclip/core';
import { decodeImageBytes, defaultCacheDir, readModelConfig, startCachedDetector, type CacheReport, type CachedDetectorOptions } from '@aaclip/backend-node';
import { encodeRgbPng } from '@aaclip/eval';
import type { Command } from './command.js';
import { MODEL_OPTION_SPECS, parsePositiveInt, resolveModelOptions, type ModelChoice } from '../options/modelOptions.js';
import { createProgress } from '../output/progress.js';
import { RANDOM_MODEL_PRESETS, randomModelFiles } from '../bench/randomClipModel.js';
import { measureGemmRate, visionPassFlops, visionTokens } from '../bench/gemmRate.js';
import '../options/registerBackends.js';

const USAGE = `Usage: aaclip bench [--model <dir> | model files | --random <name> --vocab <file>] [options]

Measures the detector on this machine: start-up with an empty cache (cold) and a filled one
(warm), each from the call to the first image scored, then images per second and the time of
each stage over --images images (decode a 640×480 PNG, preprocess, vision model, scoring), the
peak memory, and the float32 GEMM rate of the backend (one MatMul of the vision MLP's shape),
with the image pass's FLOP rate as a fraction of it. Start-up runs on a temporary cache folder,
deleted afterwards, so the user's cache is neither used nor changed. Not a test: nothing is
asserted; a busy machine gives slower figures.

  --random <name>           full-size random weights and adapters instead of a model: ${Object.keys(RANDOM_MODEL_PRESETS).join(', ')}
                            (written once under the cache folder's random-models/, about 1.8 GB)
  --images <n>              timed images (default 3, after one warm-up image)
  --batch <n>               images per model run (default 1; same as --batch-size)
  --precision <p>           fp32 (default) | int8 | fp16, as for detect (the GEMM rate is float32's)
  --json                    print the figures as JSON
  (model options as for detect: --model, --model-config, --weights, --adapters, --vocab,
   --image-size (default 518), --backend, --device, --threads, --no-rewrites, --cache-dir, --no-cache;
   --no-cache skips the warm start)

Examples:
  aaclip bench --random vit-l-14-336 --vocab bpe_simple_vocab_16e6.txt.gz --image-size 518
  aaclip bench --model ./ViT-L-14-336-aaclip --batch 2 --json`;

interface StartFigures {
  /** From the start call to the first image scored. */
  readonly seconds: number;
  readonly cache: CacheReport;
}

interface StageMs {
  decode: number;
  preprocess: number;
  vision: number;
  scoring: number;
}

const round = (v: number, digits = 3): number => Number(v.toFixed(digits));
const mib = (bytes: number): number => Math.round(bytes / 1024 / 1024);
const peakRssMiB = (): number => mib(process.resourceUsage().maxRSS * 1024);

/** A 640×480 photo-like RGB picture (smooth gradients and noise), encoded as PNG once. */
async function syntheticPng(): Promise<Uint8Array> {
  const width = 640;
  const height = 480;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const noise = ((i * 2654435761) >>> 27) & 15;
      rgb[i] = (x * 255) / width + noise;
      rgb[i + 1] = (y * 255) / height + noise;
      rgb[i + 2] = 128 + noise;
    }
  }
  return encodeRgbPng(rgb, width, height);
}

export const benchCommand: Command = {
  name: 'bench',
  usage: USAGE,
  async run(argv) {
    const commandStart = process.uptime(); // node start-up and module loading, before this line
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { ...MODEL_OPTION_SPECS, random: { type: 'string' }, images: { type: 'string' }, batch: { type: 'string' }, json: { type: 'boolean' } },
    });
    if (positionals.length) throw new AaclipError(`unexpected argument "${String(positionals[0])}"`);
    if (values.batch !== undefined && values['batch-size'] !== undefined) throw new AaclipError('give --batch or --batch-size, not both', '--batch');
    const images = parsePositiveInt(values.images, '--images') ?? 3;
    const progress = createProgress(process.stderr);

    let choice: ModelChoice;
    if (values.random !== undefined) {
      for (const flag of ['model', 'model-config', 'weights', 'adapters'] as const) {
        if (values[flag] !== undefined) throw new AaclipError('cannot be combined with --random', `--${flag}`);
      }
      if (!values.vocab) throw new AaclipError('is required with --random (the CLIP BPE vocabulary, bpe_simple_vocab_16e6.txt.gz)', '--vocab');
      const dir = path.join(values['cache-dir'] ?? defaultCacheDir(), 'random-models', values.random);
      const files = randomModelFiles(values.random, dir, () => progress.status(`writing random ${values.random} weights to ${dir} (once)`));
      choice = await resolveModelOptions({ ...values, 'model-config': files.modelConfig, weights: files.weights, adapters: [files.adapters] });
    } else {
      choice = await resolveModelOptions(values);
    }
    if (!choice.files) throw new AaclipError('needs model files (a bundle holds built graphs: give the model it was exported from)', '--model');
    const batch = parsePositiveInt(values.batch, '--batch') ?? choice.batchSize ?? 1;
    const imageSize = choice.settings.imageSize ?? 518;
    const { model: config } = await readModelConfig(choice.files.modelConfig);

    const startOptions = (cacheDir: string | null): CachedDetectorOptions => ({
      files: choice.files!,
      settings: { ...choice.settings, imageSize },
      ...(choice.zeroShot ? { zeroShot: choice.zeroShot } : {}),
      ...(choice.backend ? { backend: choice.backend } : {}),
      ...(choice.device ? { device: choice.device } : {}),
      ...(choice.threads === undefined ? {} : { threads: choice.threads }),
      ...(choice.precision === undefined ? {} : { precision: choice.precision }),
      ...(choice.rewrites === undefined ? {} : { rewrites: choice.rewrites }),
      batchSize: batch,
      classNames: ['object'],
      cacheDir,
      onProgress: (stage) => progress.status(`bench: ${stage}`),
    });
    const png = await syntheticPng();
    const decodeOnce = (): Promise<RawImage> => decodeImageBytes(png, 'synthetic.png');

    /** Starts a detector and scores one image: the start-up a user sees. */
    const timedStart = async (cacheDir: string | null): Promise<{ detector: AnomalyDetector; figures: StartFigures }> => {
      const t = performance.now();
      const { detector, cache } = await startCachedDetector(startOptions(cacheDir));
      await detector.detect([await decodeOnce()], 'object');
      return { detector, figures: { seconds: (performance.now() - t) / 1000, cache } };
    };

    const scratch = choice.cacheDir === null ? null : await mkdtemp(path.join(os.tmpdir(), 'aaclip-bench-cache-'));
    let detector: AnomalyDetector | null = null;
    try {
      const cold = await timedStart(scratch);
      const rssAfterColdMiB = peakRssMiB();
      let warm: StartFigures | null = null;
      if (scratch) {
        await cold.detector.dispose();
        const again = await timedStart(scratch);
        detector = again.detector;
        warm = again.figures;
      } else {
        detector = cold.detector;
      }

      // Throughput: each stage timed on its own, images run through the model `batch` at a time.
      const anchors = await detector.anchors('object');
      const stages: StageMs = { decode: 0, preprocess: 0, vision: 0, scoring: 0 };
      const warmUp = detector.preprocess(await decodeOnce());
      await detector.detectPreprocessed(Array.from({ length: batch }, () => warmUp), anchors);
      const cpuStart = process.cpuUsage();
      const wallStart = performance.now();
      let visionAndScoring = 0;
      for (let done = 0; done < images; done += batch) {
        const pixels: Float32Array[] = [];
        for (let i = 0; i < Math.min(batch, images - done); i++) {
          progress.update(done + i, images, 'timing');
          let t = performance.now();
          const raw = await decodeOnce();
          stages.decode += performance.now() - t;
          t = performance.now();
          pixels.push(detector.preprocess(raw));
          stages.preprocess += performance.now() - t;
        }
        const t = performance.now();
        await detector.detectPreprocessed(pixels, anchors);
        visionAndScoring += performance.now() - t;
      }
      const wallSeconds = (performance.now() - wallStart) / 1000;
      const cpu = process.cpuUsage(cpuStart);
      // Scoring alone, on outputs of the model's shapes: the rest of a model call is the vision model.
      const grid = detector.grid;
      const embed = detector.embedDim;
      const tokens = new Float32Array(grid * grid * embed).map((_, i) => Math.sin(i) / Math.sqrt(embed));
      const t = performance.now();
      for (let i = 0; i < images; i++) {
        scoreImage({
          segTokens: detector.settings.levels.map(() => tokens),
          detToken: tokens.subarray(0, embed),
          anchors,
          embed,
          grid,
          imageSize,
          blur: settingsBlur(detector.settings),
          similarityScale: detector.settings.similarityScale,
        });
      }
      stages.scoring = performance.now() - t;
      stages.vision = Math.max(0, visionAndScoring - stages.scoring);
      const perImage = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, round(v / images, 1)])) as unknown as StageMs;
      const rssAfterRunsMiB = mib(process.memoryUsage().rss);

      progress.status('bench: GEMM rate');
      const width = config.vision_cfg.width;
      const gemm = await measureGemmRate(detector.backend, { device: detector.device, ...(choice.threads === undefined ? {} : { threads: choice.threads }) }, visionTokens(config, imageSize), width, config.vision_cfg.mlp_ratio * width);
      const adapted = choice.files.adapters.length > 0;
      const flops = visionPassFlops(config, imageSize, adapted ? detector.settings.imageAdaptUntil : 0, detector.settings.levels.length);
      const visionSecondsPerImage = perImage.vision / 1000;
      const passGflops = flops / visionSecondsPerImage / 1e9;
      progress.done();

      const result = {
        model: values.random !== undefined ? `random ${values.random}` : choice.files.weights,
        adapters: adapted,
        imageSize,
        batch,
        images,
        precision: choice.precision ?? 'fp32',
        backend: detector.backend.name,
        device: detector.device,
        runtime: detector.backend.runtimeVersion ?? null,
        threads: choice.threads ?? null,
        imagesPerSecond: round(images / wallSeconds),
        secondsPerImage: round(wallSeconds / images),
        cpuSecondsPerImage: round((cpu.user + cpu.system) / 1e6 / images),
        msPerImage: perImage,
        startup: {
          processSeconds: round(commandStart),
          cold: { seconds: round(cold.figures.seconds), fromCommandSeconds: round(commandStart + cold.figures.seconds), cache: cold.figures.cache },
          warm: warm ? { seconds: round(warm.seconds), fromCommandSeconds: round(commandStart + warm.seconds), cache: warm.cache } : null,
        },
        memory: { peakRssMiB: peakRssMiB(), peakRssAfterColdStartMiB: rssAfterColdMiB, rssAfterRunsMiB },
        gemm: { shape: gemm.shape, gflops: round(gemm.gflops, 1) },
        visionPass: { gflop: round(flops / 1e9, 1), gflops: round(passGflops, 1), fractionOfGemm: round(passGflops / gemm.gflops) },
        loadAverage: os.loadavg().map((l) => round(l, 2)),
        cpus: os.availableParallelism(),
      };
      if (values.json) {
        console.log(JSON.stringify(result, null, 2));
      } else {
        const s = result.startup;
        console.log(`model           ${result.model} at ${imageSize}×${imageSize}${adapted ? ' with adapters' : ''}, ${result.precision}, batch ${batch}, ${result.backend}/${result.device} (${result.runtime ?? 'runtime unknown'})`);
        console.log(`throughput      ${result.imagesPerSecond} images/s (${result.secondsPerImage} s per image, ${result.cpuSecondsPerImage} CPU s)`);
        console.log(`ms per image    decode ${perImage.decode}, preprocess ${perImage.preprocess}, vision ${perImage.vision}, scoring ${perImage.scoring}`);
        console.log(`start-up cold   ${s.cold.seconds} s to the first image scored (+${s.processSeconds} s node and modules)`);
        if (s.warm) console.log(`start-up warm   ${s.warm.seconds} s (+${s.processSeconds} s); vision graph ${s.warm.cache.vision}, anchors from cache ${s.warm.cache.anchorsFromCache}, weights read: ${s.warm.cache.weightsRead}`);
        console.log(`memory          peak RSS ${result.memory.peakRssMiB} MiB (${result.memory.peakRssAfterColdStartMiB} MiB by the end of the cold start), ${result.memory.rssAfterRunsMiB} MiB after the runs`);
        console.log(`GEMM            ${result.gemm.gflops} GFLOP/s (float32 MatMul ${gemm.shape.join('×')})`);
        console.log(`vision pass     ${result.visionPass.gflop} GFLOP per image at ${result.visionPass.gflops} GFLOP/s: ${Math.round(result.visionPass.fractionOfGemm * 100)} % of the GEMM rate`);
        console.log(`machine         ${result.cpus} cores, load average ${result.loadAverage.join(' ')}`);
      }
      return 0;
    } finally {
      progress.done();
      if (detector) await detector.dispose();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    }
  },
};
