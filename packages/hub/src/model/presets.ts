import type { RepoReference } from '../repo/repoReference.js';

/** A named backbone: where its open_clip weights and config are, and where its tokenizer is. */
export interface ModelPreset {
  readonly name: string;
  readonly description: string;
  /** The repo with `open_clip_config.json` and the open_clip weights. */
  readonly model: RepoReference;
  /** The repo with the tokenizer, used when the model repo has none. */
  readonly tokenizer: RepoReference;
}

// OpenAI's CLIP weights in open_clip form live in the timm organisation's repos (open_clip itself
// loads its `openai` weights from there); their tokenizer files (vocab.json + merges.txt, the
// same BPE as bpe_simple_vocab_16e6.txt.gz) are in OpenAI's transformers repos.
export const MODEL_PRESETS: readonly ModelPreset[] = [
  {
    name: 'ViT-L-14-336',
    description: "AA-CLIP's backbone: OpenAI CLIP ViT-L/14 at 336 px (run at 518 by default)",
    model: { repo: 'timm/vit_large_patch14_clip_336.openai', revision: 'main' },
    tokenizer: { repo: 'openai/clip-vit-large-patch14-336', revision: 'main' },
  },
  {
    name: 'ViT-L-14',
    description: 'OpenAI CLIP ViT-L/14 at 224 px',
    model: { repo: 'timm/vit_large_patch14_clip_224.openai', revision: 'main' },
    tokenizer: { repo: 'openai/clip-vit-large-patch14', revision: 'main' },
  },
  {
    name: 'ViT-B-16',
    description: 'OpenAI CLIP ViT-B/16 at 224 px',
    model: { repo: 'timm/vit_base_patch16_clip_224.openai', revision: 'main' },
    tokenizer: { repo: 'openai/clip-vit-base-patch16', revision: 'main' },
  },
];

/** Where the tokenizer comes from for a repo that has none: every CLIP shares OpenAI's BPE. */
export const DEFAULT_TOKENIZER_REPO: RepoReference = { repo: 'openai/clip-vit-large-patch14', revision: 'main' };

/** The preset of that name (any letter case), or undefined. */
export function findPreset(name: string): ModelPreset | undefined {
  const wanted = name.toLowerCase();
  return MODEL_PRESETS.find((p) => p.name.toLowerCase() === wanted);
}
