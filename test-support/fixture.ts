// Paths to the shared golden fixture and the CLIP vocabulary, used by tests and benchmarks.
// `../shared` sits beside the repository (also in CI's fresh clone); AACLIP_SHARED overrides it.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const sharedDir = process.env.AACLIP_SHARED ?? path.resolve(repoRoot, '../shared');
export const fixtureDir = path.join(sharedDir, 'fixtures/tiny-aaclip');
export const vocabPath = path.join(sharedDir, 'clip/bpe_simple_vocab_16e6.txt.gz');
export const fixtureFile = (name: string): string => path.join(fixtureDir, name);
export { repoRoot };

/** The CLI's model flags for the fixture model with its adapters, at the image size its goldens use (48). */
export const FIXTURE_MODEL_FLAGS: readonly string[] = [
  '--model-config', fixtureFile('open_clip_config.json'),
  '--weights', fixtureFile('clip.safetensors'),
  '--adapters', fixtureFile('adapters.safetensors'),
  '--vocab', vocabPath,
  '--image-size', '48',
];
