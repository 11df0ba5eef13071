import { AaclipError } from '@aaclip/core';
import { readOutcomes, waitForJobs, type ScoringQueue } from '@aaclip/queue';
import { createProgress } from '../output/progress.js';
import { writeMapsAndScores, type ScoredImageResult } from '../output/mapsAndScores.js';
import type { Submission } from './submission.js';

/**
 * Waits until every job of a submission has finished (a progress bar on a terminal), then writes
 * `<out>/maps.safetensors` and `<out>/scores.json` as detect does, one entry per image from its
 * job's one result, prints detect's line per image, lists the failures on stderr and returns the
 * exit code (1 when any image failed). `command` names the command in messages.
 */
export async function collectSubmission(queue: ScoringQueue, submission: Submission, outDir: string, command: string): Promise<number> {
  const ids = submission.images.map((i) => i.job);
  const progress = createProgress(process.stderr);
  try {
    await waitForJobs(queue, ids, { onProgress: (done, total) => progress.update(done, total, `scored or failed (queue ${submission.queue})`) });
  } finally {
    progress.done();
  }
  const outcomes = await readOutcomes(queue, ids);
  const scored: ScoredImageResult[] = [];
  const failures = [...submission.failures];
  for (const { image, job } of submission.images) {
    const outcome = outcomes.get(job);
    if (!outcome) throw new AaclipError('has not finished although the queue said so', `job ${job}`);
    if (outcome.state === 'failed') failures.push(new AaclipError(outcome.error, image).message);
    else scored.push({ image, ...outcome });
  }
  if (scored.length > 0) await writeMapsAndScores(outDir, scored, submission.className);
  for (const s of scored) console.log(`${s.image}\timage_score=${s.imageScore.toFixed(6)}\tpixel_max=${s.pixelMax.toFixed(4)}`);
  if (failures.length === 0) return 0;
  console.error(`aaclip ${command}: ${failures.length} of ${submission.images.length + submission.failures.length} images failed:`);
  for (const f of failures) console.error(`  ${f}`);
  return 1;
}
