import { AaclipError } from '@aaclip/core';
import type { ModelFiles } from '@aaclip/node-io';
import { hubEnvironment, type HubEnvironment } from '../environment/hubEnvironment.js';
import { formatRepoReference, parseRepoReference, type RepoReference } from '../repo/repoReference.js';
import { pullRepoFiles, type PulledFile, type PullOptions } from '../snapshot/pullRepoFiles.js';
import { chooseModelFiles, chooseTokenizerFiles, HUB_MODEL_FILES, type HubFileRole } from './modelFileChoice.js';
import { DEFAULT_TOKENIZER_REPO, findPreset, type ModelPreset } from './presets.js';

/** Where one model file came from: repo, the revision asked for, the commit it was at, the file, its URL and sha256. */
export interface HubFileProvenance {
  readonly repo: string;
  readonly revision: string;
  readonly commit: string;
  readonly file: string;
  readonly url: string;
  readonly sha256: string;
  readonly size: number;
}

/** The provenance of each file of a model, by what it is for. */
export type HubModelProvenance = { readonly config: HubFileProvenance; readonly weights: HubFileProvenance; readonly vocab: HubFileProvenance } & {
  readonly [R in Exclude<HubFileRole, 'config' | 'weights' | 'vocab'>]?: HubFileProvenance;
};

export interface ResolvedHubModel {
  /** The reference as given (preset name, or org/name[@revision]). */
  readonly reference: string;
  readonly preset?: ModelPreset;
  /** The local files (in the hub cache's snapshots), ready for `loadModelFiles`. */
  readonly files: ModelFiles;
  readonly provenance: HubModelProvenance;
  /** True when nothing was asked of the hub. */
  readonly fromCache: boolean;
  /** Bytes downloaded (0 when every file was cached). */
  readonly transferredBytes: number;
}

export interface ResolveHubModelOptions extends PullOptions {
  /** The environment to read HF_* from (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Settings that win over the environment (e.g. a --cache-dir flag). */
  readonly hub?: Partial<HubEnvironment>;
  /** The name errors give the reference (default "--model"). */
  readonly source?: string;
}

/** Whether `text` is a preset name. */
export function isModelPreset(text: string): boolean {
  return findPreset(text) !== undefined;
}

function provenanceOf(file: PulledFile): HubFileProvenance {
  return { repo: file.repo, revision: file.revision, commit: file.commit, file: file.file, url: file.url, sha256: file.sha256, size: file.size };
}

/**
 * A model from the hub, by preset name (`ViT-L-14-336`) or repo id (`org/name[@revision]`): its
 * open_clip config and weights (safetensors preferred), AA-CLIP adapters when the repo has them,
 * and the tokenizer — from the repo, else from the preset's (or OpenAI's) tokenizer repo. Files
 * are downloaded into the hub cache when missing (see pullRepoFiles); the result names the cached
 * files and where each came from.
 */
export async function resolveHubModel(reference: string, options: ResolveHubModelOptions = {}): Promise<ResolvedHubModel> {
  const source = options.source ?? '--model';
  const env = hubEnvironment(options.env, options.hub);
  const preset = findPreset(reference);
  if (!preset && reference.includes('@') && findPreset(reference.slice(0, reference.indexOf('@')))) {
    throw new AaclipError(`a preset names fixed repos; give a repo id to choose a revision (e.g. ${findPreset(reference.slice(0, reference.indexOf('@')))!.model.repo}@<revision>)`, source);
  }
  const modelRef: RepoReference = preset?.model ?? parseRepoReference(reference, source);

  const model = await pullRepoFiles(
    env,
    modelRef,
    (rootFiles) => {
      const result = chooseModelFiles(rootFiles);
      if ('missing' in result) return { problem: `no open_clip ${result.missing} file (looked for ${result.looked.join(', ')})` };
      return { picked: result.choice };
    },
    options,
  );
  let vocab = model.files.vocab;
  let merges = model.files.merges;
  let tokenizer = null;
  if (!vocab) {
    const tokenizerRef = preset?.tokenizer ?? DEFAULT_TOKENIZER_REPO;
    tokenizer = await pullRepoFiles(
      env,
      tokenizerRef,
      (rootFiles) => {
        const picked = chooseTokenizerFiles(rootFiles);
        return picked ? { picked } : { problem: `no tokenizer (looked for ${HUB_MODEL_FILES.tokenizer.map((s) => Object.values(s).join(' + ')).join(', or ')})` };
      },
      options,
    );
    vocab = tokenizer.files.vocab;
    merges = tokenizer.files.merges;
    if (!vocab) throw new AaclipError('no tokenizer file', formatRepoReference(tokenizerRef));
  }
  const { config, weights, adapters } = model.files;
  if (!config || !weights) throw new AaclipError('the repo lacks its config or weights', formatRepoReference(modelRef));
  return {
    reference,
    ...(preset ? { preset } : {}),
    files: { modelConfig: config.localPath, weights: weights.localPath, adapters: adapters ? [adapters.localPath] : [], vocab: vocab.localPath },
    provenance: {
      config: provenanceOf(config),
      weights: provenanceOf(weights),
      vocab: provenanceOf(vocab),
      ...(merges ? { merges: provenanceOf(merges) } : {}),
      ...(adapters ? { adapters: provenanceOf(adapters) } : {}),
    },
    fromCache: model.fromCache && (tokenizer?.fromCache ?? true),
    transferredBytes: model.transferredBytes + (tokenizer?.transferredBytes ?? 0),
  };
}
