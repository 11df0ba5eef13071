import { stat } from 'node:fs/promises';
import { AaclipError } from '@aaclip/core';
import { scanModelFolder, type FoundModelFiles } from '@aaclip/backend-node/node-io';
import { isModelPreset, looksLikeRepoReference, MODEL_PRESETS, resolveHubModel, type ResolvedHubModel } from '@aaclip/hub';
import { createTransferProgress } from '../output/transferProgress.js';

/** Whether a --model value names a hub model (a preset, or org/name[@revision]) rather than a folder. */
export function isHubModelReference(value: string): boolean {
  return isModelPreset(value) || isModelPreset(value.split('@')[0]!) || looksLikeRepoReference(value);
}

/** A hub model through the cache, downloading what is missing with a progress bar on stderr. */
export async function pullHubModel(reference: string, source: string, hub: { cacheDir?: string } = {}): Promise<ResolvedHubModel> {
  const progress = createTransferProgress(process.stderr);
  try {
    return await resolveHubModel(reference, { source, hub, onProgress: progress, onNotice: (line) => console.error(`aaclip: ${line}`) });
  } finally {
    progress.done();
  }
}

/** What `--model <value>` names: a folder's files, or a hub model's with where each came from. */
export interface ModelSource {
  readonly files: FoundModelFiles;
  /** The hub model (provenance of every file) when the value was a preset or repo id; else null. */
  readonly hub: ResolvedHubModel | null;
}

/**
 * The model files `--model <value>` names: an existing folder is read as a model folder (any file
 * it lacks may come from a flag); a preset name or `org/name[@revision]` that is not a folder comes
 * from the Hugging Face hub cache.
 */
export async function modelSourceFromFolderOrHub(value: string): Promise<ModelSource> {
  const entry = await stat(value).catch(() => null);
  if (entry || !isHubModelReference(value)) {
    if (!entry) throw new AaclipError(`no such folder, and not a preset (${MODEL_PRESETS.map((p) => p.name).join(', ')}) or a hub repo id (org/name[@revision])`, value);
    return { files: await scanModelFolder(value), hub: null };
  }
  try {
    const hub = await pullHubModel(value, '--model');
    return { files: hub.files, hub };
  } catch (err) {
    // A mistyped folder name looks like a repo id: say that both were tried.
    if (err instanceof AaclipError && (err.code === 'not-found' || err.code === 'unavailable') && !isModelPreset(value)) {
      throw new AaclipError(`no such folder; as a hub repo id: ${err.problem}`, value, { code: err.code, cause: err });
    }
    throw err;
  }
}
