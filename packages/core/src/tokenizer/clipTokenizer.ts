// CLIP's tokenizer, giving the same ids as the reference (open_clip's SimpleTokenizer):
// clean → lower-case → regex pre-tokenise → UTF-8 bytes as characters → BPE with "</w>" → ids,
// wrapped in <|startoftext|> … <|endoftext|> and zero-padded to the context length.
import { AaclipError } from '../errors/aaclipError.js';
import { decompress } from '../weights/decompress.js';
import type { BpeVocabulary } from './bpeVocabulary.js';
import { END_OF_TEXT, END_OF_WORD, START_OF_TEXT, vocabularyFromBpeText, vocabularyFromHuggingFace } from './bpeVocabulary.js';
import { encodeBytesAsChars } from './byteEncoder.js';
import { unescapeHtml } from './htmlEntities.js';

export interface EncodeOptions {
  /** Ids per text including the start and end markers (77 for CLIP). */
  contextLength?: number;
  /** Cut texts that do not fit (the end marker is kept last) instead of failing. */
  truncate?: boolean;
}

export interface EncodedBatch {
  /** Row-major token ids, int64 as the text tower's input. */
  ids: BigInt64Array;
  shape: [number, number];
}

// CLIP's pre-tokeniser: the special tokens, English contractions, letter runs, single digits, and runs
// of other non-space characters. (The reference compiles it case-insensitively.)
const PRE_TOKENIZER =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

/** Curly quotes that ftfy straightens. */
const CURLY_QUOTES: ReadonlyArray<[RegExp, string]> = [
  [/[\u2018\u2019\u201a\u201b]/g, "'"],
  [/[\u201c\u201d\u201e\u201f]/g, '"'],
];

/**
 * The reference's cleaning. It first runs ftfy.fix_text, which repairs mojibake and otherwise leaves
 * plain text as it is; of its steps this keeps the ones that touch well-formed text (NFC
 * normalisation, straight quotes). Then html.unescape twice, strip, whitespace runs → one space, lower case.
 */
export function cleanText(text: string): string {
  let t = text.normalize('NFC');
  for (const [pattern, plain] of CURLY_QUOTES) t = t.replace(pattern, plain);
  t = unescapeHtml(unescapeHtml(t)).trim();
  return t.replace(/\s+/g, ' ').trim().toLowerCase();
}

/** Cache entries kept before the cache is emptied (bounds memory on long runs). */
const CACHE_LIMIT = 50_000;

export class ClipTokenizer {
  private readonly cache = new Map<string, string[]>();

  constructor(readonly vocabulary: BpeVocabulary) {}

  /** From the gzipped OpenAI BPE file (`bpe_simple_vocab_16e6.txt.gz`). */
  static async fromGzippedBpe(bytes: Uint8Array, source = 'bpe_simple_vocab_16e6.txt.gz'): Promise<ClipTokenizer> {
    const text = new TextDecoder().decode(await decompress(bytes, 'gzip', source));
    return ClipTokenizer.fromBpeText(text, source);
  }

  /** From the text of the OpenAI BPE file. */
  static fromBpeText(text: string, source?: string): ClipTokenizer {
    return new ClipTokenizer(vocabularyFromBpeText(text, source));
  }

  /** From Hugging Face's `vocab.json` (parsed) and `merges.txt`. */
  static fromHuggingFace(vocabJson: Record<string, number>, mergesText: string, source?: string): ClipTokenizer {
    return new ClipTokenizer(vocabularyFromHuggingFace(vocabJson, mergesText, source));
  }

  get startId(): number {
    return this.vocabulary.startId;
  }

  get endId(): number {
    return this.vocabulary.endId;
  }

  /** Merges one pre-token (already as byte characters) into BPE symbols, the last ending in "</w>". */
  private bpe(token: string): string[] {
    if (token === START_OF_TEXT || token === END_OF_TEXT) return [token];
    const cached = this.cache.get(token);
    if (cached) return cached;
    const chars = Array.from(token);
    let word = [...chars.slice(0, -1), chars[chars.length - 1]! + END_OF_WORD];
    const { ranks } = this.vocabulary;
    while (word.length > 1) {
      // The adjacent pair with the lowest rank merges next, everywhere it occurs.
      let best: string | undefined;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < word.length; i++) {
        const rank = ranks.get(`${word[i]} ${word[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = `${word[i]} ${word[i + 1]}`;
        }
      }
      if (best === undefined) break;
      const [first, second] = best.split(' ') as [string, string];
      const merged: string[] = [];
      for (let i = 0; i < word.length; ) {
        if (word[i] === first && i + 1 < word.length && word[i + 1] === second) {
          merged.push(first + second);
          i += 2;
        } else {
          merged.push(word[i]!);
          i += 1;
        }
      }
      word = merged;
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(token, word);
    return word;
  }

  /** BPE ids of `text` without the start/end markers or padding. */
  encodeText(text: string): number[] {
    const ids: number[] = [];
    const { encoder } = this.vocabulary;
    for (const match of cleanText(text).matchAll(PRE_TOKENIZER)) {
      for (const symbol of this.bpe(encodeBytesAsChars(match[0]))) {
        const id = encoder.get(symbol);
        if (id === undefined) throw new AaclipError(`the vocabulary has no token ${JSON.stringify(symbol)}`, 'tokenizer');
        ids.push(id);
      }
    }
    return ids;
  }

  /** <|startoftext|> ids… <|endoftext|>, zero-padded to the context length (77). */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const contextLength = options.contextLength ?? 77;
    if (!Number.isInteger(contextLength) || contextLength < 2) {
      throw new AaclipError(`context length ${contextLength} must be an integer ≥ 2`, 'tokenizer');
    }
    const tokens = [this.startId, ...this.encodeText(text), this.endId];
    if (tokens.length > contextLength) {
      if (!options.truncate) {
        const shown = text.length > 40 ? `${text.slice(0, 37)}...` : text;
        throw new AaclipError(
          `${JSON.stringify(shown)} is ${tokens.length} tokens with the start/end markers, more than the context length ${contextLength} (truncation not requested)`,
          'prompt',
        );
      }
      tokens.length = contextLength;
      tokens[contextLength - 1] = this.endId;
    }
    while (tokens.length < contextLength) tokens.push(0);
    return tokens;
  }

  /** Encodes several texts into one int64 [n, contextLength] block. */
  encodeBatch(texts: readonly string[], options: EncodeOptions = {}): EncodedBatch {
    const contextLength = options.contextLength ?? 77;
    const ids = new BigInt64Array(texts.length * contextLength);
    texts.forEach((text, row) => {
      this.encode(text, options).forEach((id, col) => {
        ids[row * contextLength + col] = BigInt(id);
      });
    });
    return { ids, shape: [texts.length, contextLength] };
  }
}
