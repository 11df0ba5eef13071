// The CLIP BPE vocabulary: token → id, and the merge ranks. Built either from OpenAI's
// `bpe_simple_vocab_16e6.txt` (merges only; ids follow CLIP's fixed recipe) or from Hugging Face's
// `vocab.json` + `merges.txt`.
import { AaclipError } from '../errors/aaclipError.js';
import { byteAlphabet } from './byteEncoder.js';

export const START_OF_TEXT = '<|startoftext|>';
export const END_OF_TEXT = '<|endoftext|>';
export const END_OF_WORD = '</w>';

/** CLIP keeps the first 49152 − 256 − 2 merges of its BPE file (49408 ids in all). */
export const CLIP_MERGE_COUNT = 49152 - 256 - 2;

export interface BpeVocabulary {
  /** token → id */
  readonly encoder: ReadonlyMap<string, number>;
  /** "left right" → merge priority (lower merges first) */
  readonly ranks: ReadonlyMap<string, number>;
  readonly startId: number;
  readonly endId: number;
}

function parseMergeLines(lines: readonly string[], firstLine: number, source: string): [string, string][] {
  return lines.map((line, i) => {
    const parts = line.split(' ');
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      throw new AaclipError(`line ${firstLine + i} is ${JSON.stringify(line.slice(0, 40))}, not a merge "a b"`, source);
    }
    return [parts[0], parts[1]];
  });
}

function rankMerges(merges: readonly [string, string][]): Map<string, number> {
  const ranks = new Map<string, number>();
  // A repeated merge keeps its last position, as a Python dict built from the list would.
  merges.forEach(([a, b], i) => ranks.set(`${a} ${b}`, i));
  return ranks;
}

function specialId(encoder: ReadonlyMap<string, number>, token: string, source: string): number {
  const id = encoder.get(token);
  if (id === undefined) throw new AaclipError(`the vocabulary has no ${token} token`, source);
  return id;
}

/**
 * From the text of OpenAI's BPE file: a version line, then one merge per line. Ids: the 256 byte
 * characters, the same with "</w>", one per merge, then <|startoftext|> and <|endoftext|>.
 */
export function vocabularyFromBpeText(text: string, source = 'bpe_simple_vocab_16e6.txt'): BpeVocabulary {
  const lines = text.split('\n');
  const mergeLines = lines.slice(1, 1 + CLIP_MERGE_COUNT);
  if (mergeLines.length < CLIP_MERGE_COUNT) {
    throw new AaclipError(`has ${mergeLines.length} merges, CLIP's vocabulary needs ${CLIP_MERGE_COUNT}`, source);
  }
  const merges = parseMergeLines(mergeLines, 2, source);
  const tokens = byteAlphabet();
  tokens.push(...tokens.map((c) => c + END_OF_WORD));
  for (const [a, b] of merges) tokens.push(a + b);
  tokens.push(START_OF_TEXT, END_OF_TEXT);
  const encoder = new Map<string, number>();
  tokens.forEach((token, id) => encoder.set(token, id));
  return { encoder, ranks: rankMerges(merges), startId: specialId(encoder, START_OF_TEXT, source), endId: specialId(encoder, END_OF_TEXT, source) };
}

/** From Hugging Face's `vocab.json` (token → id) and `merges.txt` ("#version" line, then merges). */
export function vocabularyFromHuggingFace(
  vocabJson: Record<string, number>,
  mergesText: string,
  source = 'vocab.json / merges.txt',
): BpeVocabulary {
  if (typeof vocabJson !== 'object' || vocabJson === null || Array.isArray(vocabJson)) {
    throw new AaclipError('vocab.json is not an object of token → id', source);
  }
  const encoder = new Map<string, number>();
  for (const [token, id] of Object.entries(vocabJson)) {
    if (!Number.isSafeInteger(id) || id < 0) {
      throw new AaclipError(`vocab.json maps ${JSON.stringify(token)} to ${JSON.stringify(id)}, not a token id`, source);
    }
    encoder.set(token, id);
  }
  const lines = mergesText.split('\n').map((l) => l.replace(/\r$/, ''));
  const start = lines[0]?.startsWith('#version') ? 1 : 0;
  const mergeLines = lines.slice(start);
  while (mergeLines.length > 0 && mergeLines[mergeLines.length - 1] === '') mergeLines.pop();
  const merges = parseMergeLines(mergeLines, start + 1, source);
  return { encoder, ranks: rankMerges(merges), startId: specialId(encoder, START_OF_TEXT, source), endId: specialId(encoder, END_OF_TEXT, source) };
}
