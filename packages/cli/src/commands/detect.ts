import { parseArgs } from 'node:util';
import path from 'node:path';
import { AaclipError, toRgb8, type AnomalyDetector, type Detection, type RawImage, type Rgb8Image } from '@aaclip/core';
import { decodeImageFile, writeFileAtomic } from '@aaclip/backend-node';
import type { Command } from './command.js';
import { MODEL_OPTION_SPECS, MODEL_OPTIONS_HELP, resolveModelOptions } from '../options/modelOptions.js';
import { checkOutFolder } from '../options/outFolder.js';
import { createProgress } from '../output/progress.js';
import { startDetector } from '../options/startDetector.js';
import { distinctInputs, heatmapNames } from '../output/detectOutputNames.js';
import { writeMapsAndScores } from '../output/mapsAndScores.js';
import { expandImageInputs } from '../input/expandImageInputs.js';
import { IMAGE_EXTENSIONS } from '@aaclip/datasets';
import { mapValueRange, nonFiniteDetection, renderOverlayPng } from '@aaclip/eval';

const USAGE = `Usage: aaclip detect [model options] [--class-name <text>] --out <dir> <image|folder|pattern...>

Scores each image for anomalies with AA-CLIP. Inputs are image files, folders (their image files
${IMAGE_EXTENSIONS.join(' ')} at any depth, hidden entries and --out left out) and quoted patterns
("photos/*.png", "data/**/test/*.png", "[ab]?.jpg": * ? [set] [!set], ** for any folders),
expanded in natural order. Each image is decoded once; --batch-size images go through the model together.
Writes:
  <out>/scores.json        [{"image", "image_score", "pixel_max"}, ...] for the images that were scored
  <out>/maps.safetensors   one F32 [S,S] fused anomaly map per image, keyed by the path as given
                           (an image given as "__metadata__", a name safetensors reserves, is keyed "./__metadata__")
  <out>/<name>.png         the heatmap over the image (colours span the run's lowest to highest map value);
                           "<name>-2.png", … when images share a name; long names are shortened to fit
--out is checked before the model is read: a file, a folder that cannot be written, or a folder that
holds any of the images (their heatmaps could replace them) is refused.
An image given twice is scored once. A folder or pattern that gives no image is listed as a failure, as
is a special file (FIFO, device) it turns up, which is never opened. Images that cannot be read (missing, corrupt, not a regular file)
or whose score is not a finite number are listed on stderr, the others are still scored, and the exit
code is 1; so is it when a heatmap cannot be written — that image is listed and keeps its score and map.

  --class-name <text>       the object named in the prompts (default "object"), e.g. "dark bottle"
  --out <dir>               output folder (created if missing; must not hold the images)

${MODEL_OPTIONS_HELP}

Examples:
  aaclip detect --model ./ViT-L-14-336-aaclip --class-name "dark bottle" --out results img1.png img2.png
  aaclip detect --model ./ViT-L-14-336 --zero-shot surgery --class-name "dark bottle" --out results img1.png
  aaclip detect --model ./ViT-L-14-336-aaclip --batch-size 8 --out results ./bottles "more/*.jpg"`;

/**
 * How many bytes of decoded 8-bit RGB pixels a run keeps between scoring and writing heatmaps, so
 * that each image is decoded once; images past it are decoded again for their heatmaps, which keeps
 * memory bounded on runs over large folders. A setting object so that tests can lower it.
 */
export const detectLimits = { keptPixelBytes: 512 * 1024 * 1024 };

interface DecodedImage {
  readonly image: string;
  readonly heatmapName: string;
  readonly pixels: RawImage;
}

interface ScoredImage {
  readonly image: string;
  readonly detection: Detection;
  readonly heatmapName: string;
  /** The decoded pixels kept for the heatmap, or null once written or when past the budget. */
  pixels: RawImage | null;
}

const rgbImage = ({ width, height, data }: Rgb8Image): RawImage => ({ width, height, channels: 3, bitDepth: 8, data });

/**
 * Scores a batch of decoded images in one detector call (the detector runs them through the
 * vision model --batch-size at a time). Should the batch fail as a whole with an AaclipError,
 * its images are scored one by one so that the failure is put on the image it belongs to.
 */
async function scoreBatch(
  detector: AnomalyDetector,
  batch: readonly DecodedImage[],
  className: string,
  failures: string[],
): Promise<{ decoded: DecodedImage; detection: Detection }[]> {
  if (batch.length === 0) return [];
  try {
    const detections = await detector.detect(batch.map((d) => d.pixels), className);
    return batch.map((decoded, i) => ({ decoded, detection: detections[i]! }));
  } catch (err) {
    if (!(err instanceof AaclipError)) throw err;
    if (batch.length === 1) {
      failures.push(describeFailure(batch[0]!.image, err));
      return [];
    }
    const results: { decoded: DecodedImage; detection: Detection }[] = [];
    for (const decoded of batch) results.push(...(await scoreBatch(detector, [decoded], className, failures)));
    return results;
  }
}

/** Lists the failures on stderr; the exit code: 1 when there were any. */
function reportFailures(failures: readonly string[], inputCount: number): number {
  if (failures.length === 0) return 0;
  console.error(`aaclip detect: ${failures.length} of ${inputCount} images failed:`);
  for (const f of failures) console.error(`  ${f}`);
  return 1;
}

/** Failures that concern one image (its file, or writing its heatmap) rather than the whole run. */
function isPerImageFailure(err: unknown): err is Error {
  if (err instanceof AaclipError) return true;
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && (err as NodeJS.ErrnoException).syscall !== undefined;
}

/** One line naming the image (through AaclipError, which keeps the line one line whatever the name holds). */
function describeFailure(image: string, err: Error, what = ''): string {
  if (err instanceof AaclipError) return err.source ? `${what}${err.message}` : new AaclipError(`${what}${err.message}`, image).message;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return new AaclipError(`${what}${code} (${err.message.split('\n')[0]})`, image).message;
}

export const detectCommand: Command = {
  name: 'detect',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { ...MODEL_OPTION_SPECS, 'class-name': { type: 'string' }, out: { type: 'string' } },
    });
    if (!values.out) throw new AaclipError('is required', '--out');
    if (positionals.length === 0) throw new AaclipError('no images given (usage: aaclip detect [options] --out <dir> <image|folder|pattern...>)');
    const outDir = values.out;
    const expanded = await expandImageInputs(positionals, { exclude: outDir });
    const { unique: images, repeated } = distinctInputs(expanded.images);
    const failures: string[] = [...expanded.failures];
    const inputCount = images.length + failures.length;
    if (images.length === 0) return reportFailures(failures, inputCount);
    await checkOutFolder(outDir, images);
    const className = values['class-name'] ?? 'object';
    const choice = await resolveModelOptions(values);
    for (const image of repeated) console.error(`aaclip detect: ${image} was given more than once; it is scored once`);
    const progress = createProgress(process.stderr);
    const detector = await startDetector(choice, progress, {}, [className]);
    const names = heatmapNames(images);
    const scored: ScoredImage[] = [];
    const kept = { bytes: 0 };
    const batchSize = choice.batchSize ?? 1;
    try {
      progress.status(`backend ${detector.backend.name}/${detector.device}`);
      // The images of a batch, decoded together (sharp decodes off the main thread), failures listed.
      const decodeBatch = async (start: number): Promise<DecodedImage[]> => {
        const indices = Array.from({ length: Math.min(batchSize, images.length - start) }, (_, k) => start + k);
        const decoded = await Promise.all(
          indices.map(async (i): Promise<DecodedImage | string> => {
            const image = images[i]!;
            try {
              return { image, heatmapName: names[i]!, pixels: rgbImage(toRgb8(await decodeImageFile(image), image)) };
            } catch (err) {
              if (!(err instanceof AaclipError)) throw err;
              return describeFailure(image, err);
            }
          }),
        );
        for (const d of decoded) if (typeof d === 'string') failures.push(d);
        return decoded.filter((d): d is DecodedImage => typeof d !== 'string');
      };
      // The next batch is decoding while this one runs through the model.
      let next: Promise<DecodedImage[]> | null = decodeBatch(0);
      for (let start = 0; start < images.length; start += batchSize) {
        progress.update(start, images.length, images[start]!);
        const batch: DecodedImage[] = await next!;
        next = start + batchSize < images.length ? decodeBatch(start + batchSize) : null;
        next?.catch(() => {}); // awaited on the next turn; never an unhandled rejection meanwhile
        for (const { decoded, detection } of await scoreBatch(detector, batch, className, failures)) {
          const problem = nonFiniteDetection(detection);
          if (problem) {
            failures.push(new AaclipError(problem, decoded.image).message);
            continue;
          }
          // Kept for its heatmap (decoded once) while the run's kept pixels fit the budget.
          const size = decoded.pixels.data.byteLength;
          const keep = kept.bytes + size <= detectLimits.keptPixelBytes;
          if (keep) kept.bytes += size;
          scored.push({ image: decoded.image, heatmapName: decoded.heatmapName, detection, pixels: keep ? decoded.pixels : null });
        }
      }
      progress.update(images.length, images.length, '');
    } finally {
      await detector.dispose();
      progress.done();
    }

    if (scored.length > 0) {
      // Heatmaps first, scores last: scores.json appears only once every other output is complete.
      const range = mapValueRange(scored.map(({ detection }) => detection.anomalyMap));
      for (const entry of scored) {
        const { image, detection, heatmapName } = entry;
        try {
          // Past the memory budget the image is read again; it may be gone by now.
          const pixels = entry.pixels ?? (await decodeImageFile(image));
          entry.pixels = null;
          await writeFileAtomic(path.join(outDir, heatmapName), await renderOverlayPng(pixels, detection, range));
        } catch (err) {
          if (!isPerImageFailure(err)) throw err;
          failures.push(describeFailure(image, err, 'heatmap not written (its score and map are): '));
        }
      }
      await writeMapsAndScores(outDir, scored.map(({ image, detection }) => ({ image, ...detection })), className);
    }
    for (const { image, detection } of scored) {
      console.log(`${image}\timage_score=${detection.imageScore.toFixed(6)}\tpixel_max=${detection.pixelMax.toFixed(4)}`);
    }
    return reportFailures(failures, inputCount);
  },
};
