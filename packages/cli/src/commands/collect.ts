import { parseArgs } from 'node:util';
import { AaclipError } from '@aaclip/core';
import type { Command } from './command.js';
import { openQueue, QUEUE_OPTION_SPECS } from '../options/queueOptions.js';
import { collectSubmission } from '../queue/collectResults.js';
import { readSubmission, SUBMISSION_FILE } from '../queue/submission.js';

const USAGE = `Usage: aaclip collect --out <dir> [--redis <url>] [--queue <name>]

Gathers the results of an \`aaclip submit\` (typically one run with --no-wait): reads
<out>/${SUBMISSION_FILE}, waits with a progress bar until every image's job has finished, and writes
<out>/scores.json and <out>/maps.safetensors as submit (and detect) do. Failed images are listed on
stderr (exit code 1). Collecting again reads the same results.

  --out <dir>               the folder submit wrote
  --redis <url>             the Redis server (default: the one in ${SUBMISSION_FILE}; give it when it
                            needs a password, which the file does not keep)
  --queue <name>            the queue (default: the one in ${SUBMISSION_FILE})

Example:
  aaclip collect --out results`;

export const collectCommand: Command = {
  name: 'collect',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { ...QUEUE_OPTION_SPECS, out: { type: 'string' } } });
    if (positionals.length) throw new AaclipError(`unexpected argument "${positionals[0]}" (usage: aaclip collect --help)`);
    if (!values.out) throw new AaclipError('is required', '--out');
    const submission = await readSubmission(values.out);
    const connection = await openQueue(values, 'collect', { redis: submission.redis, queue: submission.queue });
    try {
      return await collectSubmission(connection.queue, submission, values.out, 'collect');
    } finally {
      await connection.close();
    }
  },
};
