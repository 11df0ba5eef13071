import { parseArgs } from 'node:util';
import { AaclipError } from '@aaclip/core';
import { IMAGE_EXTENSIONS } from '@aaclip/datasets';
import { submitImages } from '@aaclip/queue';
import type { Command } from './command.js';
import { checkOutFolder } from '../options/outFolder.js';
import { openQueue, QUEUE_OPTION_SPECS, QUEUE_OPTIONS_HELP, RETRY_OPTION_SPECS, RETRY_OPTIONS_HELP, retryOptions } from '../options/queueOptions.js';
import { createProgress } from '../output/progress.js';
import { distinctInputs } from '../output/detectOutputNames.js';
import { expandImageInputs } from '../input/expandImageInputs.js';
import { collectSubmission } from '../queue/collectResults.js';
import { SUBMISSION_FILE, writeSubmission } from '../queue/submission.js';

const USAGE = `Usage: aaclip submit --redis <url> --queue <name> [--class-name <text>] --out <dir> <image|folder|pattern...>

Queues the images for \`aaclip worker\` processes to score, waits for them with a progress bar, and
writes what \`aaclip detect\` writes, all but the heatmaps:
  <out>/scores.json        [{"image", "image_score", "pixel_max"}, ...] for the images that were scored
  <out>/maps.safetensors   one F32 [S,S] anomaly map per image, keyed by the path as given
  <out>/${SUBMISSION_FILE}    the queue, the class name and each image's job (what \`aaclip collect\` reads)
Inputs are as for detect: image files, folders (their ${IMAGE_EXTENSIONS.join(' ')}
files at any depth) and quoted patterns. Each image is one job, its id the SHA-256 of the class
name and the file's bytes: submitting an image again (under any name) adds nothing while its job
is in the queue and reads the one result; an image whose job failed is tried again. The image file
travels inside Redis (at most 64 MiB), so workers need no access to it; results stay in Redis (a
map is S·S·4 bytes) until the queue is cleaned. A failing image is tried --attempts times with
backoff, then listed on stderr with its error (exit code 1); the others are still written. Ctrl-C
stops waiting only: the jobs go on, and \`aaclip collect --out <dir>\` gathers them.

  --class-name <text>       the object named in the prompts (default "object")
  --out <dir>               output folder (created if missing; must not hold the images)
  --no-wait                 queue the images, write <out>/${SUBMISSION_FILE} and exit
${RETRY_OPTIONS_HELP}

${QUEUE_OPTIONS_HELP}

Examples:
  aaclip submit --redis redis://queue-host:6379 --queue bottles --class-name "dark bottle" --out results ./bottles
  aaclip submit --redis redis://queue-host:6379 --queue bottles --no-wait --out results ./bottles
  aaclip collect --out results`;

export const submitCommand: Command = {
  name: 'submit',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { ...QUEUE_OPTION_SPECS, ...RETRY_OPTION_SPECS, 'class-name': { type: 'string' }, out: { type: 'string' }, 'no-wait': { type: 'boolean' } },
    });
    if (!values.out) throw new AaclipError('is required', '--out');
    if (positionals.length === 0) throw new AaclipError('no images given (usage: aaclip submit [options] --out <dir> <image|folder|pattern...>)');
    const retry = retryOptions(values);
    const outDir = values.out;
    const expanded = await expandImageInputs(positionals, { exclude: outDir });
    const { unique: images, repeated } = distinctInputs(expanded.images);
    if (images.length === 0) {
      console.error(`aaclip submit: ${expanded.failures.length} of ${expanded.failures.length} images failed:`);
      for (const f of expanded.failures) console.error(`  ${f}`);
      return 1;
    }
    await checkOutFolder(outDir, images);
    for (const image of repeated) console.error(`aaclip submit: ${image} was given more than once; it is scored once`);
    const className = values['class-name'] ?? 'object';
    const connection = await openQueue(values, 'submit');
    try {
      const progress = createProgress(process.stderr);
      let report: Awaited<ReturnType<typeof submitImages>>;
      try {
        report = await submitImages(connection.queue, images, { className, ...retry, onProgress: (done, total, image) => progress.update(done, total, `queued ${image}`) });
      } finally {
        progress.done();
      }
      const submission = {
        redis: connection.url,
        queue: connection.name,
        className,
        images: report.images.map((i) => ({ image: i.source, job: i.jobId })),
        failures: [...expanded.failures, ...report.failures],
      };
      await writeSubmission(outDir, submission);
      const retried = report.retried ? `, ${report.retried} failed before and tried again` : '';
      console.error(`aaclip submit: ${report.images.length} images on queue ${connection.name}: ${report.added} new, ${report.existing} already queued or done${retried}`);
      if (values['no-wait']) {
        console.error(`aaclip submit: not waiting; \`aaclip collect --out ${outDir}\` writes the results`);
        for (const f of submission.failures) console.error(`  ${f}`);
        return submission.failures.length ? 1 : 0;
      }
      return await collectSubmission(connection.queue, submission, outDir, 'submit');
    } finally {
      await connection.close();
    }
  },
};
