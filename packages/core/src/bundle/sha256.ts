// SHA-256 of a byte array as lowercase hex, through Web Crypto (browsers and Node alike).
import { AaclipError } from '../errors/aaclipError.js';

/** Hashes bytes to lowercase hex; callers with a faster or copy-free hash (node:crypto) pass their own. */
export type Sha256Function = (bytes: Uint8Array) => Promise<string>;

/** SHA-256 through `crypto.subtle` (needs a secure context in browsers: https or localhost). */
export const webCryptoSha256: Sha256Function = async (bytes) => {
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!subtle) throw new AaclipError('SHA-256 needs Web Crypto (crypto.subtle), which this environment lacks (a browser page must be served over https or from localhost)', 'sha256');
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
};
