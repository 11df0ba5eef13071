import { constants as bufferConstants } from 'node:buffer';
import { constants, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { AaclipError } from '@aaclip/core';

/** What a file is read as; each kind has its own size limit. */
export type InputFileKind = 'image' | 'model config' | 'weights' | 'vocabulary' | 'data';

const MiB = 1024 * 1024;

/**
 * Largest file accepted of each kind, in bytes. Weights and data (a file of no known kind, as
 * `nodeFileIo.readFile` reads it) are bounded only by what one Node buffer can hold (ViT-L-14-336
 * in float32 is 1.7 GB); the others far above any real file.
 */
export const MAX_FILE_BYTES: Readonly<Record<InputFileKind, number>> = {
  image: 1024 * MiB,
  'model config': 16 * MiB,
  weights: bufferConstants.MAX_LENGTH,
  vocabulary: 64 * MiB,
  data: bufferConstants.MAX_LENGTH,
};

// O_NONBLOCK: opening a FIFO that turned up after the stat returns at once instead of waiting
// for a writer. The constants are undefined on Windows, where FIFOs cannot appear this way.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

function notRegular(st: Stats): string | null {
  if (st.isFile()) return null;
  if (st.isDirectory()) return 'is a folder, not a file';
  if (st.isFIFO()) return 'is a FIFO (named pipe), not a regular file';
  if (st.isCharacterDevice()) return 'is a character device, not a regular file';
  if (st.isBlockDevice()) return 'is a block device, not a regular file';
  if (st.isSocket()) return 'is a socket, not a regular file';
  return 'is not a regular file';
}

function checkStats(st: Stats, file: string, kind: InputFileKind): void {
  const problem = notRegular(st);
  if (problem) throw new AaclipError(problem, file);
  const limit = MAX_FILE_BYTES[kind];
  if (st.size > limit) throw new AaclipError(`is ${st.size} bytes, over the ${limit}-byte limit for ${kind} files`, file);
}

function readProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : `cannot read the file (${code ?? String(err)})`;
}

/**
 * Reads a whole file that must be a regular file (not a FIFO, device, socket or folder) of at
 * most MAX_FILE_BYTES[kind] bytes. The type and size are checked before the file is opened, and
 * again on the opened handle, so neither a special file nor one swapped in meanwhile can make
 * the read hang or grow without bound. Every failure is an AaclipError naming the file.
 */
export async function readRegularFile(file: string, kind: InputFileKind): Promise<Uint8Array> {
  let before: Stats;
  try {
    before = await stat(file);
  } catch (err) {
    throw new AaclipError(readProblem(err), file);
  }
  checkStats(before, file, kind);
  let handle;
  try {
    handle = await open(file, OPEN_FLAGS);
  } catch (err) {
    throw new AaclipError(readProblem(err), file);
  }
  try {
    const st = await handle.stat();
    checkStats(st, file, kind);
    // Not zero-filled: only the bytes read are returned.
    const buf = Buffer.allocUnsafeSlow(st.size);
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    let filled = 0;
    while (filled < bytes.length) {
      // Reads are capped at 1 GiB each (the most one read call may ask for).
      const { bytesRead } = await handle.read(bytes, filled, Math.min(bytes.length - filled, 1024 * MiB), filled);
      if (bytesRead === 0) break; // the file shrank while being read: what is there is all there is
      filled += bytesRead;
    }
    return filled === bytes.length ? bytes : bytes.subarray(0, filled);
  } catch (err) {
    if (err instanceof AaclipError) throw err;
    throw new AaclipError(readProblem(err), file);
  } finally {
    await handle.close();
  }
}
