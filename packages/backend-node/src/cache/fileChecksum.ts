import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';

/** CRC-32 of a file, streamed (about 1 GB/s): the checksum cache entries are verified by. */
export async function fileCrc32(file: string): Promise<number> {
  let crc = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * 1024 * 1024 })) crc = zlib.crc32(chunk as Buffer, crc);
  return crc;
}

/** SHA-256 (hex) of a file, streamed. */
export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** SHA-256 (hex) of bytes already in memory. */
export function bytesSha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** SHA-256 (hex) of a value's JSON: how cache keys are made from their parts. */
export function keyOf(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}
