// The tiny-aaclip fixture laid out as hub repos, for the download tests and `aaclip pull`.
import { readFileSync } from 'node:fs';
import { fixtureFile, vocabPath } from './fixture.js';
import type { FakeRepo, FakeRepoFile } from './fakeHubServer.js';

export const TINY_COMMIT = '1111111111111111111111111111111111111111';
export const TINY_COMMIT_V1 = '2222222222222222222222222222222222222222';
export const TOKENIZER_COMMIT = '3333333333333333333333333333333333333333';

const file = (path: string, bytes: Uint8Array | string): FakeRepoFile => ({ path, bytes: typeof bytes === 'string' ? Buffer.from(bytes) : bytes });

// Read once: the same buffers serve every repo, so the server's hashes of them are computed once.
const read = (() => {
  const cache = new Map<string, Buffer>();
  return (file: string): Buffer => {
    let bytes = cache.get(file);
    if (!bytes) cache.set(file, (bytes = readFileSync(file)));
    return bytes;
  };
})();
const DISTRACTOR = Buffer.alloc(4096, 7);

/** The fixture model as a Hugging Face open_clip repo, with files a pull must leave alone. */
export function tinyModelFiles({ withVocab = true, withAdapters = true, weights = undefined as Uint8Array | undefined } = {}): FakeRepoFile[] {
  return [
    file('README.md', '# tiny-aaclip\nA test model.\n'),
    file('config.json', read(fixtureFile('config.json'))),
    file('open_clip_config.json', read(fixtureFile('open_clip_config.json'))),
    file('open_clip_model.safetensors', weights ?? read(fixtureFile('clip.safetensors'))),
    // Not to be fetched: the safetensors file is preferred.
    file('open_clip_pytorch_model.bin', DISTRACTOR),
    ...(withAdapters ? [file('aaclip_adapters.safetensors', read(fixtureFile('adapters.safetensors')))] : []),
    ...(withVocab ? [file('bpe_simple_vocab_16e6.txt.gz', read(vocabPath))] : []),
    file('docs/notes.txt', 'nested file\n'),
  ];
}

/**
 * A repo with main at TINY_COMMIT and tag v1 at an older commit (without adapters). `weights`
 * replaces the fixture's CLIP weights (for download tests that never load the model).
 */
export function tinyModelRepo(options: { withVocab?: boolean; token?: string; weights?: Uint8Array } = {}): FakeRepo {
  const shared = { withVocab: options.withVocab ?? true, weights: options.weights };
  return {
    commits: {
      [TINY_COMMIT]: tinyModelFiles(shared),
      [TINY_COMMIT_V1]: tinyModelFiles({ ...shared, withAdapters: false }),
    },
    refs: { main: TINY_COMMIT, v1: TINY_COMMIT_V1 },
    ...(options.token ? { token: options.token } : {}),
  };
}

/** A tokenizer repo (the gzipped BPE list stands in for vocab.json + merges.txt). */
export function tokenizerRepo(): FakeRepo {
  return { commits: { [TOKENIZER_COMMIT]: [file('bpe_simple_vocab_16e6.txt.gz', read(vocabPath)), file('tokenizer_config.json', '{}')] }, refs: { main: TOKENIZER_COMMIT } };
}
