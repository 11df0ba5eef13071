import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureFile, vocabPath } from '../../../../test-support/fixture.js';
import { fixtureTensors } from '../../../../test-support/fixtureLoader.js';
import { AaclipError } from '../../src/errors/aaclipError.js';
import { ClipTokenizer, cleanText } from '../../src/tokenizer/clipTokenizer.js';

const run = JSON.parse(readFileSync(fixtureFile('config.json'), 'utf8')) as { prompts: string[] };
const golden = fixtureTensors('golden.safetensors');
const gzipped = new Uint8Array(readFileSync(vocabPath));

/**
 * Hugging Face's files for the same vocabulary, written here from CLIP's published recipe: the 256
 * byte characters (printable Latin-1 first, then the other bytes as U+0100…), the same with "</w>",
 * one token per merge, then the two markers.
 */
function huggingFaceFiles(bpeText: string): { vocab: Record<string, number>; merges: string } {
  const printable: number[] = [];
  const rest: number[] = [];
  for (let b = 0; b < 256; b++) {
    ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255) ? printable : rest).push(b);
  }
  const base = [...printable.map((b) => String.fromCharCode(b)), ...rest.map((_, i) => String.fromCharCode(256 + i))];
  const merges = bpeText.split('\n').slice(1, 49152 - 256 - 2 + 1);
  const tokens = [...base, ...base.map((c) => `${c}</w>`), ...merges.map((m) => m.replace(' ', '')), '<|startoftext|>', '<|endoftext|>'];
  const entries = tokens.map((t, id): [string, number] => [t, id]);
  entries.reverse(); // ids come from the values, not the order of the keys
  return { vocab: Object.fromEntries(entries), merges: `#version: 0.2\n${merges.join('\n')}\n` };
}

describe('ClipTokenizer', () => {
  let tokenizer: ClipTokenizer;
  beforeAll(async () => {
    tokenizer = await ClipTokenizer.fromGzippedBpe(gzipped);
  });

  it("gives exactly the reference's ids for the fixture's 16 prompts", () => {
    const expected = golden.get('prompt_tokens')!;
    expect(expected.shape).toEqual([16, 77]);
    const { ids, shape } = tokenizer.encodeBatch(run.prompts);
    expect(shape).toEqual([16, 77]);
    expect(Array.from(ids)).toEqual(Array.from(expected.data as BigInt64Array));
    expect(tokenizer.startId).toBe(49406);
    expect(tokenizer.endId).toBe(49407);
    expect(tokenizer.vocabulary.encoder.size).toBe(49408);
  });

  it("gives the same ids from Hugging Face's vocab.json / merges.txt", () => {
    const { vocab, merges } = huggingFaceFiles(gunzipSync(readFileSync(vocabPath)).toString('utf8'));
    const hf = ClipTokenizer.fromHuggingFace(vocab, merges);
    const texts = [...run.prompts, 'Zero-shot anomaly détection, 3 naïve tests: £5 & 💡!'];
    expect(Array.from(hf.encodeBatch(texts).ids)).toEqual(Array.from(tokenizer.encodeBatch(texts).ids));
  });

  it('refuses a text that does not fit, and truncates it when asked, keeping the end marker last', () => {
    const long = Array.from({ length: 100 }, (_, i) => `word${i % 10}`).join(' ');
    expect(() => tokenizer.encode(long)).toThrow(AaclipError);
    expect(() => tokenizer.encode(long)).toThrow(/more than the context length 77/);
    const full = [tokenizer.startId, ...tokenizer.encodeText(long), tokenizer.endId];
    expect(full.length).toBeGreaterThan(77);
    const cut = tokenizer.encode(long, { truncate: true });
    expect(cut).toHaveLength(77);
    expect(cut.slice(0, 76)).toEqual(full.slice(0, 76));
    expect(cut[76]).toBe(tokenizer.endId);
    // A text that just fits needs no truncation.
    const fits = tokenizer.encode('a photo', { contextLength: 4 });
    expect(fits).toEqual([tokenizer.startId, ...tokenizer.encodeText('a photo'), tokenizer.endId]);
  });

  it('cleans text as the reference: entities twice, whitespace, case', () => {
    expect(cleanText('  A&amp;amp;B\t\n  Photo&#33;  ')).toBe('a&b photo!');
    expect(cleanText('caf&eacute; &notit; &lt;3 &#x1F600;')).toBe('café ¬it; <3 😀');
    expect(tokenizer.encode('A   PHOTO of a  dark bottle.')).toEqual(tokenizer.encode('a photo of a dark bottle.'));
    expect(tokenizer.encode('&lt;|endoftext|&gt;')[1]).toBe(tokenizer.endId);
  });

  it('refuses a corrupt vocabulary file', async () => {
    await expect(ClipTokenizer.fromGzippedBpe(gzipped.subarray(0, 1000), 'vocab.gz')).rejects.toThrow(/^vocab\.gz: /);
    expect(() => ClipTokenizer.fromBpeText('#version\na b\n', 'short.txt')).toThrow(/short\.txt: has 2 merges, CLIP's vocabulary needs 48894/);
  });
});
