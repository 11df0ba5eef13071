import { AaclipError, AnomalyDetector, detectorFromBundle, type AaclipSettingsInput } from '@aaclip/core';
import { openBundleDir, startCachedDetector } from '@aaclip/backend-node';
import type { ModelChoice } from './modelOptions.js';
import type { Progress } from '../output/progress.js';
import { formatBytes } from '../output/formatBytes.js';
import './registerBackends.js';

/**
 * Starts a detector from the chosen model files through the disk caches (startCachedDetector),
 * showing each set-up stage, with the anchors of `classNames` ready. The weights are read only
 * when a graph must be built, and not kept. A bundle (--model <bundle dir>) is opened with
 * every file checked against its manifest, and its graphs are loaded as they are.
 */
export async function startDetector(
  choice: ModelChoice,
  progress: Progress,
  settings: AaclipSettingsInput = {},
  classNames: readonly string[] = [],
): Promise<AnomalyDetector> {
  const run = {
    backend: choice.backend,
    device: choice.device,
    batchSize: choice.batchSize,
    ...(choice.threads === undefined ? {} : { threads: choice.threads }),
    ...(choice.precision === undefined ? {} : { precision: choice.precision }),
    ...(choice.rewrites === undefined ? {} : { rewrites: choice.rewrites }),
    onProgress: (stage: string) => progress.status(`model: ${stage}`),
  };
  const merged = { ...choice.settings, ...settings };
  if (choice.bundle !== undefined) {
    const bundle = await openBundleDir(choice.bundle, (file, i, count, size) => progress.status(`bundle: checking ${file} (${i + 1}/${count}, ${formatBytes(size)})`));
    return detectorFromBundle(bundle, { ...run, ...(merged.domain ? { domain: merged.domain } : {}), ...(merged.imageSize === undefined ? {} : { imageSize: merged.imageSize }) });
  }
  if (!choice.files) throw new AaclipError('no model given', '--model', { code: 'internal' });
  // Through the disk caches (a null cacheDir builds everything and writes nothing): the text
  // model runs only for anchors the cache lacks, and is released once `classNames` have theirs.
  const { detector } = await startCachedDetector({
    ...run,
    files: choice.files,
    settings: merged,
    ...(choice.zeroShot ? { zeroShot: choice.zeroShot } : {}),
    classNames,
    cacheDir: choice.cacheDir,
  });
  return detector;
}
