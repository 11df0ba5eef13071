import path from 'node:path';
import type { ModelFiles } from '@aaclip/backend-node/node-io';
import type { HubFileProvenance } from '@aaclip/hub';
import { resolveModelSource, type ModelOptionValues } from './modelOptions.js';

/** The model files the flags name, with the hub provenance of those that came from the hub cache. */
export interface ModelFilesWithProvenance {
  readonly files: ModelFiles;
  /** Where each hub file came from, by its local path (merges.txt: beside the vocab.json). */
  readonly hub: ReadonlyMap<string, HubFileProvenance>;
}

/**
 * As resolveModelFiles, but a `--model <preset | repo id>` also gives each hub file's provenance
 * (repo, revision, commit, file, url, sha256) for model cards and bundle manifests. A file named by
 * its own flag overrides the hub's, and has no provenance since its path is not the hub's.
 */
export async function resolveModelFilesWithProvenance(
  values: Pick<ModelOptionValues, 'model' | 'model-config' | 'weights' | 'vocab' | 'adapters'>,
): Promise<ModelFilesWithProvenance> {
  const { files, hub: pulled } = await resolveModelSource(values);
  const hub = new Map<string, HubFileProvenance>();
  if (pulled) {
    const { files: local, provenance } = pulled;
    hub.set(local.modelConfig, provenance.config).set(local.weights, provenance.weights).set(local.vocab, provenance.vocab);
    if (provenance.adapters && local.adapters[0]) hub.set(local.adapters[0], provenance.adapters);
    if (provenance.merges) hub.set(path.join(path.dirname(local.vocab), 'merges.txt'), provenance.merges);
  }
  return { files, hub };
}
