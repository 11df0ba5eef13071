import { parseArgs } from 'node:util';
import path from 'node:path';
import { AaclipError, writeSafetensors, type Detection, type TensorMap } from '@aaclip/core';
import { decodeImageFile, writeFileAtomic } from '@aaclip/backend-node';
import type { Command } from './command.js';
import { MODEL_OPTION_SPECS, MODEL_OPTIONS_HELP, resolveModelOptions } from '../options/modelOptions.js';
import { createProgress } from '../output/progress.js';
import { startDetector } from '../options/startDetector.js';
import { renderOverlayPng } from '../output/heatmapPng.js';

const USAGE = `Usage: aaclip detect [model options] [--class-name <text>] --out <dir> <image...>

Scores each image for anomalies with AA-CLIP and writes:
  <out>/scores.json        [{"image", "image_score", "pixel_max"}, ...] for the images that were scored
  <out>/maps.safetensors   one F32 [S,S] fused anomaly map per image, keyed by the path as given
  <out>/<name>.png         the heatmap over the image (colours span the run's lowest to highest map value)
Images that cannot be read are listed on stderr, the others are still scored, and the exit code is 1.

  --class-name <text>       the object named in the prompts (default "object"), e.g. "dark bottle"
  --out <dir>               output folder (created if missing)

${MODEL_OPTIONS_HELP}

Examples:
  aaclip detect --model ./ViT-L-14-336-aaclip --class-name "dark bottle" --out results img1.png img2.png
  aaclip detect --model ./ViT-L-14-336 --zero-shot surgery --class-name "dark bottle" --out results img1.png`;

interface ScoredImage {
  readonly image: string;
  readonly detection: Detection;
  readonly overlayName: string;
}

/** Distinct heatmap file names: "<base>.png", then "<base>-2.png", … when two inputs share a base name. */
function overlayNames(images: readonly string[]): string[] {
  const used = new Map<string, number>();
  return images.map((image) => {
    const base = path.basename(image, path.extname(image)) || 'image';
    const count = (used.get(base) ?? 0) + 1;
    used.set(base, count);
    return count === 1 ? `${base}.png` : `${base}-${count}.png`;
  });
}

export const detectCommand: Command = {
  name: 'detect',
  summary: 'score images and write anomaly maps, scores and heatmaps',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { ...MODEL_OPTION_SPECS, 'class-name': { type: 'string' }, out: { type: 'string' } },
    });
    if (!values.out) throw new AaclipError('is required', '--out');
    if (positionals.length === 0) throw new AaclipError('no images given (usage: aaclip detect [options] --out <dir> <image...>)');
    const outDir = values.out;
    const className = values['class-name'] ?? 'object';
    const choice = await resolveModelOptions(values);
    const progress = createProgress(process.stderr);
    const detector = await startDetector(choice, progress);
    const names = overlayNames(positionals);
    const scored: ScoredImage[] = [];
    const failures: string[] = [];
    try {
      progress.status(`backend ${detector.backend.name}/${detector.device}`);
      for (const [i, image] of positionals.entries()) {
        progress.update(i, positionals.length, image);
        try {
          const raw = await decodeImageFile(image);
          const [detection] = await detector.detect([raw], className);
          scored.push({ image, detection: detection!, overlayName: names[i]! });
        } catch (err) {
          if (!(err instanceof AaclipError)) throw err;
          failures.push(err.source ? err.message : `${image}: ${err.message}`);
        }
      }
      progress.update(positionals.length, positionals.length, '');
    } finally {
      await detector.dispose();
      progress.done();
    }

    if (scored.length > 0) {
      // Heatmaps first, scores last: scores.json appears only once every other output is complete.
      let lo = Infinity;
      let hi = -Infinity;
      for (const { detection } of scored) {
        for (const v of detection.anomalyMap) {
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      }
      for (const { image, detection, overlayName } of scored) {
        const raw = await decodeImageFile(image);
        await writeFileAtomic(path.join(outDir, overlayName), await renderOverlayPng(raw, detection, { min: lo, max: hi }));
      }
      const maps: TensorMap = new Map();
      for (const { image, detection } of scored) {
        maps.set(image, { dtype: 'F32', shape: [detection.imageSize, detection.imageSize], data: detection.anomalyMap });
      }
      await writeFileAtomic(path.join(outDir, 'maps.safetensors'), writeSafetensors(maps, { format: 'aaclip-anomaly-maps', class_name: className }));
      const scores = scored.map(({ image, detection }) => ({ image, image_score: detection.imageScore, pixel_max: detection.pixelMax }));
      await writeFileAtomic(path.join(outDir, 'scores.json'), JSON.stringify(scores, null, 2) + '\n');
    }
    for (const { image, detection } of scored) {
      console.log(`${image}\timage_score=${detection.imageScore.toFixed(6)}\tpixel_max=${detection.pixelMax.toFixed(4)}`);
    }
    if (failures.length > 0) {
      console.error(`aaclip detect: ${failures.length} of ${positionals.length} images failed:`);
      for (const f of failures) console.error(`  ${f}`);
      return 1;
    }
    return 0;
  },
};
