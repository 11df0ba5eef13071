import { parseArgs } from 'node:util';
import { AaclipError } from '@aaclip/core';
import { checkQueueName, connectRedis, redactedUrl, startScoringWorker } from '@aaclip/queue';
import type { Command } from './command.js';
import { MODEL_OPTION_SPECS, MODEL_OPTIONS_HELP, parsePositiveInt, resolveModelOptions } from '../options/modelOptions.js';
import { QUEUE_OPTION_SPECS, QUEUE_OPTIONS_HELP, reportOutages } from '../options/queueOptions.js';
import { createProgress } from '../output/progress.js';
import { startDetector } from '../options/startDetector.js';

const USAGE = `Usage: aaclip worker --redis <url> --queue <name> [model options] [--concurrency <n>]

Scores the images that \`aaclip submit\` (or \`aaclip eval --queue\`) puts on a queue, until stopped
(Ctrl-C or SIGTERM: it takes no new job and finishes those it holds, then exits 0). Start as many
workers as you like, on any machine that reaches the Redis server: each needs the model files and
the Redis URL, nothing else — images and results travel inside Redis. Every worker of a queue must
run the same model with the same flags. Prints one line per image scored (as detect does, plus the
job id); a failed try is listed on stderr, and the job is tried again (by any worker) with backoff.
A worker that dies mid-job leaves its job locked until the lock runs out; another worker then takes
it again (at most twice per job; a third stall fails it), and the job's result is counted once.

  --concurrency <n>         jobs held at once (default: --batch-size); images are decoded while the
                            model runs, and up to --batch-size of them scored together
  --lock-duration <ms>      how long a job's lock lasts unrenewed, so how soon the job of a worker
                            that died is given to another (default 30000)
  --stalled-interval <ms>   how often to look for such jobs (default 30000)

${QUEUE_OPTIONS_HELP}

${MODEL_OPTIONS_HELP}

Example:
  aaclip worker --redis redis://queue-host:6379 --queue bottles --model ./ViT-L-14-336-aaclip --batch-size 4`;

export const workerCommand: Command = {
  name: 'worker',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        ...MODEL_OPTION_SPECS,
        ...QUEUE_OPTION_SPECS,
        concurrency: { type: 'string' },
        'lock-duration': { type: 'string' },
        'stalled-interval': { type: 'string' },
      },
    });
    if (positionals.length) throw new AaclipError(`unexpected argument "${positionals[0]}" (usage: aaclip worker --help)`);
    if (!values.redis) throw new AaclipError('is required', '--redis');
    if (!values.queue) throw new AaclipError('is required', '--queue');
    const queueName = checkQueueName(values.queue, '--queue');
    const lockDurationMs = parsePositiveInt(values['lock-duration'], '--lock-duration');
    const stalledIntervalMs = parsePositiveInt(values['stalled-interval'], '--stalled-interval');
    const choice = await resolveModelOptions(values);
    const batchSize = choice.batchSize ?? 1;
    const concurrency = parsePositiveInt(values.concurrency, '--concurrency') ?? batchSize;
    const connection = await connectRedis(values.redis, '--redis');
    const quiet = reportOutages(connection, 'worker');
    const progress = createProgress(process.stderr);
    let detector: Awaited<ReturnType<typeof startDetector>> | null = null;
    try {
      detector = await startDetector(choice, progress);
      progress.done();
      let scored = 0;
      const worker = startScoringWorker({
        connection,
        queue: queueName,
        detector,
        concurrency,
        batchSize,
        ...(lockDurationMs === undefined ? {} : { lockDurationMs }),
        ...(stalledIntervalMs === undefined ? {} : { stalledIntervalMs }),
        onScored: (job, d) => {
          scored++;
          console.log(`${job.source}\timage_score=${d.imageScore.toFixed(6)}\tpixel_max=${d.pixelMax.toFixed(4)}\tjob=${job.id}`);
        },
        // Connection errors are the outage reportOutages announces; others (a result refused because
        // the job's lock ran out meanwhile, say) are worth a line.
        onError: (err) => {
          if (!/ECONN|EPIPE|ETIMEDOUT|Connection is closed/.test(err.message)) console.error(`aaclip worker: ${err.message.split('\n')[0]}`);
        },
        onFailed: (job, error) => {
          const next = job.attemptsMade < job.attempts ? 'tried again later' : 'failed';
          console.error(`aaclip worker: ${new AaclipError(error, job.source).message} (try ${job.attemptsMade} of ${job.attempts}; ${next})`);
        },
      });
      console.error(`aaclip worker: ready on queue ${queueName} at ${redactedUrl(values.redis)} (backend ${detector.backend.name}/${detector.device}, concurrency ${concurrency})`);
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      });
      console.error(`aaclip worker: ${signal}: finishing the jobs in hand`);
      await worker.close();
      console.error(`aaclip worker: stopped after scoring ${scored} images`);
      return 0;
    } finally {
      progress.done();
      if (detector) await detector.dispose();
      quiet();
      await connection.quit().catch(() => connection.disconnect());
    }
  },
};
