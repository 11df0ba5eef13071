import { AaclipError, AnomalyDetector, detectorFromBundle, type AaclipSettingsInput } from '@aaclip/core';
import { loadModelFiles, openBundleDir } from '@aaclip/backend-node';
import type { ModelChoice } from './modelOptions.js';
import type { Progress } from '../output/progress.js';
import { formatBytes } from '../output/formatBytes.js';

/**
 * Reads the chosen model files and starts a detector, showing each set-up stage. The loaded
 * weights are passed straight in and not kept: once the detector has loaded its sessions nothing
 * references them and their memory can be freed. A bundle (--model <bundle dir>) is opened with
 * every file checked against its manifest, and its graphs are loaded as they are.
 */
export async function startDetector(choice: ModelChoice, progress: Progress, settings: AaclipSettingsInput = {}): Promise<AnomalyDetector> {
  const run = {
    backend: choice.backend,
    device: choice.device,
    batchSize: choice.batchSize,
    ...(choice.threads === undefined ? {} : { threads: choice.threads }),
    onProgress: (stage: string) => progress.status(`model: ${stage}`),
  };
  const merged = { ...choice.settings, ...settings };
  if (choice.bundle !== undefined) {
    const bundle = await openBundleDir(choice.bundle, (file, i, count, size) => progress.status(`bundle: checking ${file} (${i + 1}/${count}, ${formatBytes(size)})`));
    return detectorFromBundle(bundle, { ...run, ...(merged.domain ? { domain: merged.domain } : {}), ...(merged.imageSize === undefined ? {} : { imageSize: merged.imageSize }) });
  }
  if (!choice.files) throw new AaclipError('no model given', '--model', { code: 'internal' });
  progress.status('model: reading files');
  return AnomalyDetector.create(await loadModelFiles(choice.files), {
    ...run,
    settings: merged,
    ...(choice.zeroShot ? { zeroShot: choice.zeroShot } : {}),
  });
}
