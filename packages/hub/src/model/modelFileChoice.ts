import { MODEL_DIR_FILES } from '@aaclip/node-io';

/** What each file of a model is for. */
export type HubFileRole = 'config' | 'weights' | 'adapters' | 'vocab' | 'merges';

/**
 * The files a model repo's root is searched for, best first. Only open_clip's own names: in timm
 * repos `config.json` and `model.safetensors` are timm's config and state dict, not open_clip's.
 * The weights prefer safetensors to the pickled `.bin` (read as data either way).
 */
export const HUB_MODEL_FILES = {
  config: ['open_clip_config.json'],
  weights: ['open_clip_model.safetensors', 'open_clip_pytorch_model.bin'],
  adapters: MODEL_DIR_FILES.adapters,
  /** One of these sets, in this order: the gzipped BPE list, or Hugging Face's vocab.json + merges.txt. */
  tokenizer: [{ vocab: 'bpe_simple_vocab_16e6.txt.gz' }, { vocab: 'vocab.json', merges: 'merges.txt' }],
} as const;

export type FileChoice = Partial<Record<HubFileRole, string>>;

const first = (have: ReadonlySet<string>, names: readonly string[]) => names.find((n) => have.has(n));

/** The tokenizer files among `files`, or null when there is no complete set. */
export function chooseTokenizerFiles(files: Iterable<string>): FileChoice | null {
  const have = new Set(files);
  for (const set of HUB_MODEL_FILES.tokenizer) {
    if (have.has(set.vocab) && (!('merges' in set) || have.has(set.merges))) return 'merges' in set ? { vocab: set.vocab, merges: set.merges } : { vocab: set.vocab };
  }
  return null;
}

/**
 * The model's files among a repo's `files` (paths at its root): config and weights (required),
 * adapters and tokenizer when there. Returns the missing required role, or the choice.
 */
export function chooseModelFiles(files: Iterable<string>): { missing: 'config' | 'weights'; looked: readonly string[] } | { choice: FileChoice } {
  const have = new Set(files);
  const config = first(have, HUB_MODEL_FILES.config);
  if (!config) return { missing: 'config', looked: HUB_MODEL_FILES.config };
  const weights = first(have, HUB_MODEL_FILES.weights);
  if (!weights) return { missing: 'weights', looked: HUB_MODEL_FILES.weights };
  const adapters = first(have, HUB_MODEL_FILES.adapters);
  return { choice: { config, weights, ...(adapters ? { adapters } : {}), ...(chooseTokenizerFiles(have) ?? {}) } };
}
