// Fuzzing decompress (gzip for the vocabulary, raw deflate for zip entries): random bytes, and valid
// streams mutated in their bytes and gzip header fields (flags, extra-field length, trailer), also
// with a small output limit so the refusal past it is reached. Each case returns at most the limit
// or throws a one-line AaclipError, within FUZZ_CASE_MS and FUZZ_CASE_HEAP_BYTES.
import { deflateRawSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { boundedReadAsync } from '../../../../test-support/fuzz/boundedRead.js';
import { mutatedBytes, randomBytes } from '../../../../test-support/fuzz/mutations.js';
import { runFuzz } from '../../../../test-support/fuzz/runFuzz.js';
import { decompress } from '../../src/weights/decompress.js';

const SOURCE = 'fuzz.txt.gz';
/** A small limit, so a mutated stream that inflates past it is refused by the limit, not by corruption. */
const SMALL_LIMIT = 64 * 1024;

/** Text like the vocabulary (compresses well), and zeros (inflates far: 256 KiB from a few hundred bytes). */
const text = new TextEncoder().encode(Array.from({ length: 400 }, (_, i) => `merge${i % 37} ${i}</w>`).join('\n'));
const zeros = new Uint8Array(256 * 1024);

async function readsSafely(bytes: Uint8Array, format: 'gzip' | 'deflate-raw', limit: number): Promise<void> {
  const outcome = await boundedReadAsync(() => decompress(bytes, format, SOURCE, limit));
  if (outcome.ok && outcome.value.length > limit) throw new Error(`${outcome.value.length} bytes returned, past the ${limit}-byte limit`);
}

const limit = fc.constantFrom(SMALL_LIMIT, 16 * 1024 * 1024);

describe('fuzzing decompress', () => {
  const gzText = new Uint8Array(gzipSync(text));
  const gzZeros = new Uint8Array(gzipSync(zeros));
  const rawText = new Uint8Array(deflateRawSync(text));

  it('inflates the unmutated streams and refuses the zeros past the small limit', async () => {
    const inflated = await boundedReadAsync(() => decompress(gzText, 'gzip', SOURCE));
    if (!inflated.ok || inflated.value.length !== text.length) throw new Error('the valid gzip was not read back');
    const refused = await boundedReadAsync(() => decompress(gzZeros, 'gzip', SOURCE, SMALL_LIMIT));
    if (refused.ok || !/inflates to more than 65536 bytes/.test(refused.error.message)) throw new Error('the zeros were not refused by the limit');
  });

  it('random bytes, bare or after a gzip header', async () => {
    const gzipHeader = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3);
    const property = fc.asyncProperty(fc.oneof(randomBytes(), randomBytes(gzipHeader)), fc.constantFrom('gzip' as const, 'deflate-raw' as const), limit, readsSafely);
    await runFuzz(property, 0x62a901, 200);
  });

  it('valid gzip streams with bytes flipped, cut, inserted or removed, or header fields set to extremes', async () => {
    // FLG (3), MTIME (4), XFL/OS (8, 9), an XLEN or name where FEXTRA/FNAME would put it (10), the trailer.
    const fieldsOf = (gz: Uint8Array): number[] => [3, 4, 8, 9, 10, gz.length - 8, gz.length - 4];
    const streams = fc.oneof(mutatedBytes(gzText, { fieldOffsets: fieldsOf(gzText) }), mutatedBytes(gzZeros, { fieldOffsets: fieldsOf(gzZeros) }));
    await runFuzz(fc.asyncProperty(streams, limit, (bytes, max) => readsSafely(bytes, 'gzip', max)), 0x62a902, 250);
  });

  it('valid raw deflate streams mutated', async () => {
    await runFuzz(fc.asyncProperty(mutatedBytes(rawText), limit, (bytes, max) => readsSafely(bytes, 'deflate-raw', max)), 0x62a903, 200);
  });
});
