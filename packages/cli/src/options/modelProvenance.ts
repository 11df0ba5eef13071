import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ModelFiles } from '@aaclip/backend-node/node-io';
import type { HubFileProvenance } from '@aaclip/hub';
import { isHubModelReference, pullHubModel } from './hubModel.js';
import { resolveModelFiles, type ModelOptionValues } from './modelOptions.js';

/** The model files the flags name, with the hub provenance of those that came from the hub cache. */
export interface ModelFilesWithProvenance {
  readonly files: ModelFiles;
  /** Where each hub file came from, by its local path (merges.txt: beside the vocab.json). */
  readonly hub: ReadonlyMap<string, HubFileProvenance>;
}

/**
 * As resolveModelFiles, but a `--model <preset | repo id>` also gives each hub file's provenance
 * (repo, revision, commit, file, url, sha256) for model cards and bundle manifests. A file named by
 * its own flag overrides the hub's and has no provenance.
 */
export async function resolveModelFilesWithProvenance(
  values: Pick<ModelOptionValues, 'model' | 'model-config' | 'weights' | 'vocab' | 'adapters'>,
): Promise<ModelFilesWithProvenance> {
  const model = values.model;
  const isFolder = model !== undefined && (await stat(model).catch(() => null)) !== null;
  if (model === undefined || isFolder || !isHubModelReference(model)) return { files: await resolveModelFiles(values), hub: new Map() };
  const resolved = await pullHubModel(model, '--model');
  const { files: pulled, provenance } = resolved;
  const hub = new Map<string, HubFileProvenance>([
    [pulled.modelConfig, provenance.config],
    [pulled.weights, provenance.weights],
    [pulled.vocab, provenance.vocab],
  ]);
  if (provenance.adapters && pulled.adapters[0]) hub.set(pulled.adapters[0], provenance.adapters);
  if (provenance.merges) hub.set(path.join(path.dirname(pulled.vocab), 'merges.txt'), provenance.merges);
  return {
    files: {
      modelConfig: values['model-config'] ?? pulled.modelConfig,
      weights: values.weights ?? pulled.weights,
      adapters: values.adapters ?? pulled.adapters,
      vocab: values.vocab ?? pulled.vocab,
    },
    hub,
  };
}
