import { AaclipError } from '../errors/aaclipError.js';

/**
 * The most bytes `decompress` produces unless its caller asks for another limit: 16 MiB, five times
 * the one gzip the project reads (the CLIP vocabulary, bpe_simple_vocab_16e6.txt.gz, 3.2 MB
 * inflated), yet small enough that a gzip bomb is refused in well under a second. Zip entries pass
 * their own limit (their declared size).
 */
export const DEFAULT_INFLATED_LIMIT = 16 * 1024 * 1024;

/**
 * Inflates gzip or raw-deflate bytes with the web-standard DecompressionStream (Node ≥ 18 and browsers).
 * The output is read chunk by chunk and refused as soon as it passes `maxBytes`, so a small file that
 * inflates to gigabytes costs at most `maxBytes` of memory and the time to inflate them.
 * Corrupt, truncated or oversized input becomes an AaclipError naming `source`.
 */
export async function decompress(
  bytes: Uint8Array,
  format: 'gzip' | 'deflate-raw',
  source: string,
  maxBytes: number = DEFAULT_INFLATED_LIMIT,
): Promise<Uint8Array> {
  const input = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
  const reader = input.pipeThrough(new DecompressionStream(format)).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) break;
      chunks.push(value);
    }
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new AaclipError(`cannot decompress ${format} data (${why})`, source);
  }
  if (total > maxBytes) {
    // Stops the inflater; what it would still produce is never made.
    await reader.cancel().catch(() => undefined);
    throw new AaclipError(`${format} data inflates to more than ${maxBytes} bytes (the limit for this input)`, source);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
