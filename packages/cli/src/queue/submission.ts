import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { AaclipError } from '@aaclip/core';
import { writeFileAtomic } from '@aaclip/backend-node/node-io';
import { redactedUrl } from '@aaclip/queue';

/** `<out>/submission.json`: what `aaclip submit` queued, so that `aaclip collect` can gather it later. */
export const SUBMISSION_FILE = 'submission.json';
const FORMAT = 'aaclip-queue-submission';

export interface Submission {
  /** The Redis server, without its password (give --redis again to collect when it has one). */
  readonly redis: string;
  readonly queue: string;
  readonly className: string;
  /** Every image queued, in the order given, with its job. */
  readonly images: readonly { readonly image: string; readonly job: string }[];
  /** Images that could not be queued (unreadable), one line each. */
  readonly failures: readonly string[];
}

export async function writeSubmission(outDir: string, submission: Submission): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const body = { format: FORMAT, version: 1, ...submission, redis: redactedUrl(submission.redis) };
  await writeFileAtomic(path.join(outDir, SUBMISSION_FILE), JSON.stringify(body, null, 2) + '\n');
}

export async function readSubmission(outDir: string): Promise<Submission> {
  const file = path.join(outDir, SUBMISSION_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AaclipError(code === 'ENOENT' ? 'not found: collect reads the folder that `aaclip submit --out` wrote' : `cannot be read (${code})`, file);
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new AaclipError('is not JSON', file);
  }
  const images = body.images as { image?: unknown; job?: unknown }[] | undefined;
  const valid =
    body.format === FORMAT &&
    typeof body.redis === 'string' &&
    typeof body.queue === 'string' &&
    typeof body.className === 'string' &&
    Array.isArray(images) &&
    images.every((i) => typeof i?.image === 'string' && typeof i.job === 'string') &&
    Array.isArray(body.failures) &&
    body.failures.every((f) => typeof f === 'string');
  if (!valid) throw new AaclipError(`is not a submission written by aaclip submit (format "${FORMAT}")`, file);
  return body as unknown as Submission;
}
