import { AaclipError, type RawImage } from '@aaclip/core';
import { decodeImageFile } from '@aaclip/backend-node/node-io';
import type { EvaluationClass, MapDetector } from '@aaclip/eval';
import { readOutcomes, submitImages, waitForJobs } from '@aaclip/queue';
import { openQueue, RETRY_OPTIONS_HELP, retryOptions } from '../options/queueOptions.js';
import type { Progress } from '../output/progress.js';

export const EVAL_QUEUE_HELP = `Distributed scoring (the images scored by \`aaclip worker\` processes, see \`aaclip worker --help\`):
  --redis <url>, --queue <name>   score on this queue instead of in this process. Every test image is
                            queued when scoring starts; the metrics, reports and --resume work as
                            without a queue. Give the workers' model flags here too: they are
                            recorded in the run, and the image size and domain go with each job (a
                            worker with others refuses it).
${RETRY_OPTIONS_HELP}`;

/** What `aaclip eval --queue` hands to evaluateDataset in place of a local detector. */
export interface QueuedScoring {
  /** Queues the images of every class, then returns a detector that reads their results. */
  readonly detector: () => Promise<MapDetector>;
  /** Decodes as evaluateDataset does, remembering which file each image came from. */
  readonly decodeImage: (file: string) => Promise<RawImage>;
  close(): Promise<void>;
}

/**
 * Scoring on a queue for an evaluation: the images (with the class's prompt name, image size and
 * domain) become jobs for the workers, and the detector evaluateDataset calls waits for each
 * image's job and returns its map. The images are still decoded here, for their masks' checks
 * and the gallery; the pixels do not travel, the files do.
 */
export async function queuedScoring(
  values: { redis?: string; queue?: string; attempts?: string; backoff?: string },
  settings: { readonly imageSize: number; readonly domain: 'industrial' | 'medical' },
  classes: readonly EvaluationClass[],
  progress: Progress,
): Promise<QueuedScoring> {
  const retry = retryOptions(values);
  const connection = await openQueue(values, 'eval');
  const files = new WeakMap<RawImage, string>();
  const jobs = new Map<string, string>(); // `${promptName}\0${file}` → job id
  const jobKey = (promptName: string, file: string) => `${promptName}\u0000${file}`;

  const detector = async (): Promise<MapDetector> => {
    for (const cls of classes) {
      const report = await submitImages(
        connection.queue,
        cls.samples.map((s) => s.imagePath),
        { className: cls.promptName, expect: settings, ...retry, onProgress: (done, total) => progress.update(done, total, `${cls.name}: queued on ${connection.name}`) },
      );
      for (const { source, jobId } of report.images) jobs.set(jobKey(cls.promptName, source), jobId);
      // An unreadable file is listed by the evaluation when it fails to decode it.
    }
    progress.done();
    return {
      settings,
      async detect(images, promptName) {
        const ids = images.map((image) => {
          const file = files.get(image);
          const id = file === undefined ? undefined : jobs.get(jobKey(promptName, file));
          if (!id) throw new AaclipError(`an image was not queued for "${promptName}" (${file ?? 'not decoded by the evaluation'})`, '--queue');
          return id;
        });
        await waitForJobs(connection.queue, ids, { pollMs: 100 });
        const outcomes = await readOutcomes(connection.queue, ids);
        return ids.map((id, i) => {
          const outcome = outcomes.get(id)!;
          // Thrown for the one image: evaluateDataset then lists it and goes on without it.
          if (outcome.state === 'failed') throw new AaclipError(outcome.error, files.get(images[i]!));
          if (outcome.imageSize !== settings.imageSize) throw new AaclipError(`the worker's map is ${outcome.imageSize} px, the evaluation's ${settings.imageSize}`, files.get(images[i]!));
          return { anomalyMap: outcome.anomalyMap, imageScore: outcome.imageScore };
        });
      },
    };
  };

  return {
    detector,
    async decodeImage(file) {
      const image = await decodeImageFile(file);
      files.set(image, file);
      return image;
    },
    close: () => connection.close(),
  };
}
