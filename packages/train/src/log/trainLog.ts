import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { AaclipError } from '@aaclip/core';
import type { TrainingStage } from '../adapters/trainingStage.js';

/** The log's name in a run's output folder. */
export const TRAIN_LOG_FILE = 'train.log';

/** One line of `<out>/train.log`. A non-finite loss is written as null (JSON has no NaN). */
export interface TrainLogEntry {
  readonly stage: TrainingStage;
  /** 1-based epoch of the stage. */
  readonly epoch: number;
  /** Optimizer steps of the stage so far (this one included). */
  readonly step: number;
  readonly loss: number;
  /** The learning rate this step used. */
  readonly lr: number;
  readonly imagesPerSecond: number;
  /** ISO 8601 time of the step; default now. */
  readonly time?: string;
}

export function trainLogPath(outDir: string): string {
  return path.join(outDir, TRAIN_LOG_FILE);
}

/** The JSON line for an entry, fields in a fixed order, ending in "\n". */
export function trainLogLine(entry: TrainLogEntry, now: Date = new Date()): string {
  const { stage, epoch, step, loss, lr, imagesPerSecond } = entry;
  return `${JSON.stringify({ stage, epoch, step, loss, lr, imagesPerSecond, time: entry.time ?? now.toISOString() })}\n`;
}

/** Appends one entry to `<out>/train.log` (a resumed run keeps appending to the same file). */
export async function appendTrainLog(outDir: string, entry: TrainLogEntry): Promise<void> {
  const file = trainLogPath(outDir);
  try {
    await mkdir(outDir, { recursive: true });
    await appendFile(file, trainLogLine(entry));
  } catch (err) {
    throw new AaclipError(`cannot append to the training log (${(err as NodeJS.ErrnoException).code ?? String(err)})`, file);
  }
}
