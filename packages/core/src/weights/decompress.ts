import { AaclipError } from '../errors/aaclipError.js';

/**
 * Inflates gzip or raw-deflate bytes with the web-standard DecompressionStream (Node ≥ 18 and browsers).
 * Corrupt or truncated input becomes an AaclipError naming `source`.
 */
export async function decompress(
  bytes: Uint8Array,
  format: 'gzip' | 'deflate-raw',
  source: string,
): Promise<Uint8Array> {
  try {
    const input = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
    const inflated = input.pipeThrough(new DecompressionStream(format));
    return new Uint8Array(await new Response(inflated).arrayBuffer());
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new AaclipError(`cannot decompress ${format} data (${why})`, source);
  }
}
