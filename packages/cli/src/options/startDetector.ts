import { AnomalyDetector, type AaclipSettingsInput } from '@aaclip/core';
import { loadModelFiles } from '@aaclip/backend-node';
import type { ModelChoice } from './modelOptions.js';
import type { Progress } from '../output/progress.js';

/**
 * Reads the chosen model files and starts a detector, showing each set-up stage. The loaded
 * weights are passed straight in and not kept: once the detector has loaded its sessions nothing
 * references them and their memory can be freed.
 */
export async function startDetector(choice: ModelChoice, progress: Progress, settings: AaclipSettingsInput = {}): Promise<AnomalyDetector> {
  progress.status('model: reading files');
  return AnomalyDetector.create(await loadModelFiles(choice.files), {
    settings: { ...choice.settings, ...settings },
    backend: choice.backend,
    device: choice.device,
    batchSize: choice.batchSize,
    ...(choice.threads === undefined ? {} : { threads: choice.threads }),
    ...(choice.zeroShot ? { zeroShot: choice.zeroShot } : {}),
    onProgress: (stage) => progress.status(`model: ${stage}`),
  });
}
