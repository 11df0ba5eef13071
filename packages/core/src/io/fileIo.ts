import type { RawImage } from '../image/rawImage.js';

// The file and image I/O the packages above core need, as interfaces only: core runs in browsers
// and implements none of them. The Node implementations live in `@aaclip/node-io` (no runtime,
// registers no backend; re-exported by `@aaclip/backend-node`); a browser or a test may hand in
// its own.

/**
 * Decodes the image at `location` (a path, a URL — whatever the implementation reads) to raw
 * pixels. Fails with an AaclipError naming the location when it is missing or not an image.
 */
export type DecodeImage = (location: string) => Promise<RawImage>;

/** Reads every byte of the file at `location`; fails with an AaclipError naming it. */
export type ReadFileBytes = (location: string) => Promise<Uint8Array>;

/**
 * Writes `data` (text as UTF-8) to `location` so that readers see either the old file or the
 * complete new one, never a part; creates missing parent folders.
 */
export type WriteFileAtomic = (location: string, data: string | Uint8Array) => Promise<void>;

/** The I/O bundle a caller hands to code that reads images and reads and writes files. */
export interface FileIo {
  readonly decodeImage: DecodeImage;
  readonly readFile: ReadFileBytes;
  readonly writeFileAtomic: WriteFileAtomic;
}
