import path from 'node:path';
import { AaclipError } from '@aaclip/core';
import type { DecodeImage, Domain, RawImage } from '@aaclip/core';
import { decodeImageFile, writeFileAtomic } from '@aaclip/node-io';
import { formatDatasetProblem, maskAnomalies, maskIsBlank } from '@aaclip/datasets';
import { ClassEvaluator } from '../protocol/classEvaluator.js';
import type { EvaluationReport, GalleryEntry } from '../report/evaluationReport.js';
import { galleryPicks } from '../report/evaluationReport.js';
import { writeEvaluationReports } from '../report/writeReports.js';
import { classFileStem, readClassResult, writeClassResult } from './classResultFile.js';
import type { ClassResult } from './classResultFile.js';
import { writeClassMaps } from './classMapsFile.js';
import { renderGalleryImage } from './galleryImage.js';
import { injectiveFileStem } from './outputNames.js';
import { removeGalleryPictures, removeStaleTempFiles } from './staleFiles.js';
import type { EvaluationClass, EvaluationSample, MapDetector } from './mapDetector.js';

export interface EvaluationProgress {
  readonly className: string;
  /** The image just finished (or skipped). */
  readonly image: string;
  /** Images done over the whole run, resumed classes included. */
  readonly done: number;
  readonly total: number;
}

export interface DatasetEvaluationOptions {
  /** The detector, or a function making it — called only if some class needs scoring. */
  readonly detector: MapDetector | (() => Promise<MapDetector>);
  readonly classes: readonly EvaluationClass[];
  /**
   * Picks the image-score rule (industrial: ½·max map + ½·score; medical: max map). Given once:
   * omitted → the detector's `settings.domain`; given as well → it must agree with the
   * detector's, or the evaluation is refused naming both.
   */
  readonly domain?: Domain;
  readonly outDir: string;
  /**
   * Reuse the saved results of classes finished by an earlier run with the same `run` description;
   * the temporary files that run left (if it was killed mid-write) are removed first.
   */
  readonly resume?: boolean;
  /** Describes the run (dataset, model files, settings); saved with each class and checked on resume. */
  readonly run?: Readonly<Record<string, unknown>>;
  /** Highest- and lowest-scored images shown per class (default 3 each; 0 for no gallery). */
  readonly gallerySize?: number;
  /** Also save each class's raw maps to `<out>/maps/<class>.safetensors` (see writeClassMaps). */
  readonly saveMaps?: boolean;
  /** Compute pixel AUPRO (default true). */
  readonly aupro?: boolean;
  /** Images handed to the detector at once (default 1). */
  readonly batchSize?: number;
  readonly title?: string;
  readonly details?: Readonly<Record<string, string>>;
  /** Decodes the images and masks (default: @aaclip/node-io's decoder, sharp with BMP by hand). */
  readonly decodeImage?: DecodeImage;
  readonly onProgress?: (progress: EvaluationProgress) => void;
  readonly onClassDone?: (result: ClassResult, resumed: boolean) => void;
}

export interface DatasetEvaluationResult {
  readonly report: EvaluationReport;
  readonly classes: readonly ClassResult[];
  /** Every image that could not be scored, "<file>: <problem>". */
  readonly failures: readonly string[];
  /** The report files written. */
  readonly files: readonly string[];
  /** Odd ground truth, "<mask>: <problem>" (a mask of another size than its image, or marking nothing for an anomalous image). */
  readonly warnings: readonly string[];
  /** Temporary files of an interrupted earlier run removed by `resume`. */
  readonly staleFilesRemoved: readonly string[];
}

interface Decoded {
  readonly sample: EvaluationSample;
  readonly image: RawImage;
  readonly mask: RawImage | null;
}

const describeFailure = (err: AaclipError, file: string): string => (err.source ? err.message : `${file}: ${err.message}`);

/**
 * Runs a detector over the test images of each class, applies the AA-CLIP protocol, and writes
 * per class `<out>/classes/<class>.json` (and its gallery pictures) as soon as it is done, then
 * metrics.json, metrics.csv, report.md and report.html — all atomically. One class's maps are in
 * memory at a time (float32). An image that cannot be read or scored is listed in `failures` and
 * the others are still evaluated; a mask of another size than its image, or one marking nothing
 * for an anomalous image, is listed in `warnings` (as `aaclip datasets check` words it) and used.
 * Class files and gallery folders are named by classFileStem, which no two classes share.
 */
export async function evaluateDataset(options: DatasetEvaluationOptions): Promise<DatasetEvaluationResult> {
  const { classes, outDir } = options;
  const run = options.run ?? {};
  const total = classes.reduce((s, c) => s + c.samples.length, 0);
  let done = 0;
  let detector: MapDetector | null = typeof options.detector === 'function' ? null : options.detector;
  let domain: Domain | null = null;
  const getDetector = async (): Promise<{ detector: MapDetector; domain: Domain }> => {
    detector ??= await (options.detector as () => Promise<MapDetector>)();
    domain ??= evaluationDomain(detector, options.domain);
    return { detector, domain };
  };
  if (detector) domain = evaluationDomain(detector, options.domain);

  const staleFilesRemoved = options.resume ? await removeStaleTempFiles(outDir) : [];
  const results: ClassResult[] = [];
  for (const cls of classes) {
    if (options.resume) {
      const saved = await readClassResult(outDir, cls.name);
      if (saved && saved.failures.length === 0 && saved.images.length === cls.samples.length) {
        if (JSON.stringify(saved.run) !== JSON.stringify(run)) {
          throw new AaclipError(
            'was written by a different run (dataset, model or settings differ); use another --out, or run without --resume to overwrite it',
            path.join(outDir, 'classes', `${classFileStem(cls.name)}.json`),
          );
        }
        results.push(saved);
        done += cls.samples.length;
        options.onProgress?.({ className: cls.name, image: '', done, total });
        options.onClassDone?.(saved, true);
        continue;
      }
    }
    const scoring = await getDetector();
    const result = await evaluateOneClass(cls, scoring.detector, { ...options, domain: scoring.domain }, run, (image) => {
      done++;
      options.onProgress?.({ className: cls.name, image, done, total });
    });
    await writeClassResult(outDir, result);
    results.push(result);
    options.onClassDone?.(result, false);
  }

  const report: EvaluationReport = { title: options.title, details: options.details, classes: results };
  const files = await writeEvaluationReports(outDir, report);
  return {
    report,
    classes: results,
    failures: results.flatMap((r) => r.failures),
    warnings: results.flatMap((r) => r.warnings ?? []),
    files,
    staleFilesRemoved,
  };
}

/** The one domain of an evaluation: the detector's, the option's, or an error naming both when they differ. */
function evaluationDomain(detector: MapDetector, given: Domain | undefined): Domain {
  const own = detector.settings.domain;
  if (own !== undefined && given !== undefined && own !== given) {
    throw new AaclipError(
      `the evaluation's domain "${given}" differs from the detector's settings.domain "${own}" (give the domain once, to the detector)`,
      'domain',
    );
  }
  const domain = own ?? given;
  if (domain === undefined) throw new AaclipError("no domain: the detector's settings have none and the evaluation was given none", 'domain');
  return domain;
}

async function evaluateOneClass(
  cls: EvaluationClass,
  detector: MapDetector,
  options: DatasetEvaluationOptions & { readonly domain: Domain },
  run: Readonly<Record<string, unknown>>,
  onImage: (image: string) => void,
): Promise<ClassResult> {
  const size = detector.settings.imageSize;
  const evaluator = new ClassEvaluator({
    className: cls.name,
    domain: options.domain,
    width: size,
    height: size,
    capacity: cls.samples.length,
    aupro: options.aupro ?? true,
  });
  const failures: string[] = [];
  const warnings: string[] = [];
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 1));
  const sampleIndex: number[] = []; // evaluator index → index in cls.samples

  const decodeImage = options.decodeImage ?? decodeImageFile;
  // A sample decoded, with its warnings or its failure (listed in sample order by the caller).
  const decode = async (sample: EvaluationSample): Promise<{ decoded: Decoded | null; warnings: string[]; failure?: string }> => {
    try {
      const image = await decodeImage(sample.imagePath);
      const mask = sample.maskPath ? await decodeImage(sample.maskPath) : null;
      const found: string[] = [];
      if (sample.maskPath && mask) {
        const facts = { width: mask.width, height: mask.height, blank: sample.label !== 0 && maskIsBlank(mask) };
        for (const p of maskAnomalies({ ...sample, maskPath: sample.maskPath }, image, facts)) found.push(formatDatasetProblem(p));
      }
      return { decoded: { sample, image, mask }, warnings: found };
    } catch (err) {
      if (!(err instanceof AaclipError)) throw err;
      return { decoded: null, warnings: [], failure: describeFailure(err, sample.imagePath) };
    }
  };
  const score = async (batch: readonly Decoded[]): Promise<void> => {
    let detections: Awaited<ReturnType<MapDetector['detect']>>;
    try {
      detections = await detector.detect(batch.map((d) => d.image), cls.promptName);
    } catch (err) {
      if (!(err instanceof AaclipError)) throw err;
      if (batch.length > 1) {
        for (const one of batch) await score([one]); // find which image it was
      } else {
        failures.push(describeFailure(err, batch[0]!.sample.imagePath));
      }
      return;
    }
    batch.forEach((d, k) => {
      const detection = detections[k]!;
      try {
        evaluator.add({
          id: d.sample.imagePath,
          map: detection.anomalyMap,
          imageScore: detection.imageScore,
          label: d.sample.label,
          mask: d.mask,
        });
        sampleIndex.push(cls.samples.indexOf(d.sample));
      } catch (err) {
        if (!(err instanceof AaclipError)) throw err;
        failures.push(describeFailure(err, d.sample.imagePath));
      }
    });
  };

  // Each group's images and masks are decoded together, and the next group is decoding (sharp
  // works off the main thread) while this one is scored. Each image is decoded once.
  const decodeGroup = (start: number): Promise<Awaited<ReturnType<typeof decode>>[]> => Promise.all(cls.samples.slice(start, start + batchSize).map(decode));
  let next: ReturnType<typeof decodeGroup> | null = decodeGroup(0);
  for (let start = 0; start < cls.samples.length; start += batchSize) {
    const group = cls.samples.slice(start, start + batchSize);
    const results = await next!;
    const decoded: Decoded[] = [];
    for (const r of results) {
      warnings.push(...r.warnings);
      if (r.failure) failures.push(r.failure);
      if (r.decoded) decoded.push(r.decoded);
    }
    next = start + batchSize < cls.samples.length ? decodeGroup(start + batchSize) : null;
    next?.catch(() => {}); // awaited on the next turn; never an unhandled rejection meanwhile
    if (decoded.length) await score(decoded);
    for (const sample of group) onImage(sample.imagePath);
  }
  if (evaluator.count === 0) {
    throw new AaclipError(`no image of class "${cls.name}" could be scored (first problem: ${failures[0] ?? 'none'})`, cls.name);
  }

  if (options.saveMaps) {
    await writeClassMaps(path.join(options.outDir, 'maps', `${classFileStem(cls.name)}.safetensors`), evaluator.predictions());
  }
  const evaluation = evaluator.finish();

  const gallery: GalleryEntry[] = [];
  const perSide = options.gallerySize ?? 3;
  if (perSide > 0) {
    const picks = galleryPicks(evaluation.images, perSide);
    const stem = classFileStem(cls.name);
    await removeGalleryPictures(path.join(options.outDir, 'gallery', stem));
    for (const [rank, indices] of [['highest', picks.highest], ['lowest', picks.lowest]] as const) {
      for (const [k, i] of indices.entries()) {
        const scored = evaluation.images[i]!;
        const sample = cls.samples[sampleIndex[i]!]!;
        try {
          const image = await decodeImage(sample.imagePath);
          const png = await renderGalleryImage(image, evaluator.normalisedMap(i), evaluator.mask(i), size, sample.imagePath);
          // e.g. "highest-1-crack_004.png": rank, then the image's folder and name.
          const folder = path.basename(path.dirname(sample.imagePath));
          const name = `${rank}-${k + 1}-${injectiveFileStem(`${folder}_${path.basename(sample.imagePath, path.extname(sample.imagePath))}`)}.png`;
          const href = `gallery/${stem}/${name}`;
          await writeFileAtomic(path.join(options.outDir, href), png);
          gallery.push({ id: scored.id, label: scored.label, score: scored.score, rank, href });
        } catch (err) {
          if (!(err instanceof AaclipError)) throw err;
          failures.push(describeFailure(err, sample.imagePath));
        }
      }
    }
  }

  return {
    className: cls.name,
    promptName: cls.promptName,
    domain: evaluation.domain,
    count: evaluation.count,
    metrics: evaluation.metrics,
    curves: evaluation.curves,
    gallery,
    run,
    images: evaluation.images,
    failures,
    warnings,
  };
}
