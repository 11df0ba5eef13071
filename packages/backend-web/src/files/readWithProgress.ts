import { AaclipError } from '@aaclip/core';

/** Reports bytes read so far; `total` is undefined when the size is not known in advance. */
export type ByteProgress = (loaded: number, total: number | undefined) => void;

/**
 * Reads a byte stream into one array, reporting progress. With a known size the bytes go straight
 * into one buffer of that size (no second copy of a large checkpoint); a stream longer or shorter
 * than announced is an error.
 */
async function readStream(stream: ReadableStream<Uint8Array>, total: number | undefined, source: string, onProgress?: ByteProgress, maxBytes = Infinity): Promise<Uint8Array> {
  if (total !== undefined && total > maxBytes) throw new AaclipError(`is ${total} bytes, over the limit of ${maxBytes}`, source);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  const target = total === undefined ? undefined : new Uint8Array(total);
  let loaded = 0;
  onProgress?.(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (target) {
      if (loaded + value.byteLength > target.byteLength) {
        await reader.cancel();
        throw new AaclipError(`more data arrived than the announced ${total} bytes`, source);
      }
      target.set(value, loaded);
    } else {
      if (loaded + value.byteLength > maxBytes) {
        await reader.cancel();
        throw new AaclipError(`is over the limit of ${maxBytes} bytes`, source);
      }
      chunks.push(value);
    }
    loaded += value.byteLength;
    onProgress?.(loaded, total);
  }
  if (target) {
    if (loaded !== target.byteLength) throw new AaclipError(`the transfer stopped after ${loaded} of ${total} bytes`, source);
    return target;
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** Reads a Blob or File (e.g. one the user picked) with progress. */
export async function readBlobWithProgress(blob: Blob, source: string, onProgress?: ByteProgress): Promise<Uint8Array> {
  try {
    return await readStream(blob.stream(), blob.size, source, onProgress);
  } catch (err) {
    if (err instanceof AaclipError) throw err;
    throw new AaclipError(`cannot read the file (${err instanceof Error ? err.message : String(err)})`, source);
  }
}

/**
 * Downloads a URL with progress (the total comes from Content-Length when the server sends it).
 * HTTP errors and network failures are AaclipErrors naming the URL; so is a body past
 * `init.maxBytes` (refused from Content-Length before reading, or as soon as the stream passes it).
 */
export async function fetchWithProgress(url: string, onProgress?: ByteProgress, init: { signal?: AbortSignal; maxBytes?: number } = {}): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { signal: init.signal });
  } catch (err) {
    throw new AaclipError(`cannot download (${err instanceof Error ? err.message : String(err)})`, url);
  }
  if (!response.ok) throw new AaclipError(`the server answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`, url);
  const length = Number(response.headers.get('content-length'));
  // A compressed transfer announces the compressed length, not what the stream yields.
  const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const total = Number.isSafeInteger(length) && length >= 0 && !encoded && response.headers.has('content-length') ? length : undefined;
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  try {
    return await readStream(response.body, total, url, onProgress, init.maxBytes);
  } catch (err) {
    if (err instanceof AaclipError) throw err;
    throw new AaclipError(`the download failed (${err instanceof Error ? err.message : String(err)})`, url);
  }
}
