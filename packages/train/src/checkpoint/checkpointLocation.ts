import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { AaclipError } from '@aaclip/core';
import type { TrainingStage } from '../adapters/trainingStage.js';

/** The folder under a run's output folder that holds its checkpoints. */
export const CHECKPOINT_FOLDER = 'checkpoints';

/** A checkpoint on disk and the epoch its name says it ends. */
export interface CheckpointLocation {
  readonly file: string;
  readonly epoch: number;
}

/** `<out>/checkpoints/<stage>_epoch_<NNN>.safetensors` — the checkpoint written after `epoch` epochs of `stage`. */
export function checkpointPath(outDir: string, stage: TrainingStage, epoch: number): string {
  return path.join(outDir, CHECKPOINT_FOLDER, `${stage}_epoch_${String(epoch).padStart(3, '0')}.safetensors`);
}

/**
 * The checkpoint of `stage` with the highest epoch in `<out>/checkpoints`, or null when there is
 * none (or no such folder). Temporary files of an interrupted write never match.
 */
export async function findLatestCheckpoint(outDir: string, stage: TrainingStage): Promise<CheckpointLocation | null> {
  const folder = path.join(outDir, CHECKPOINT_FOLDER);
  let names: string[];
  try {
    names = (await readdir(folder, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new AaclipError(`cannot list the checkpoints (${code ?? String(err)})`, folder);
  }
  const pattern = new RegExp(`^${stage}_epoch_(\\d+)\\.safetensors$`);
  let latest: CheckpointLocation | null = null;
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match) continue;
    const epoch = Number(match[1]);
    if (!latest || epoch > latest.epoch) latest = { file: path.join(folder, name), epoch };
  }
  return latest;
}
