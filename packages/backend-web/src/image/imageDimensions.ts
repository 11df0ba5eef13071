import { AaclipError } from '@aaclip/core';

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp';

export interface ImageHeader {
  readonly format: ImageFormat;
  readonly width: number;
  readonly height: number;
}

/** Bytes of a file's start that `readImageHeader` needs at most (JPEG headers can carry large EXIF blocks first). */
export const IMAGE_HEADER_BYTES = 256 * 1024;

const ascii = (bytes: Uint8Array, at: number, length: number): string =>
  String.fromCharCode(...bytes.subarray(at, at + length));

/**
 * Reads an image's format and size from the first bytes of its file, without decoding pixels, so
 * that a non-image or an oversized image is refused before the browser spends memory on it.
 * Throws an AaclipError naming `source` for anything that is not a PNG, JPEG, GIF, WebP or BMP.
 */
export function readImageHeader(bytes: Uint8Array, source: string): ImageHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const has = (n: number): boolean => bytes.length >= n;
  const truncated = (format: string): never => {
    throw new AaclipError(`${format} header is truncated`, source);
  };
  let header: ImageHeader | undefined;
  if (has(8) && ascii(bytes, 1, 3) === 'PNG' && bytes[0] === 0x89) {
    if (!has(24) || ascii(bytes, 12, 4) !== 'IHDR') truncated('PNG');
    header = { format: 'png', width: view.getUint32(16), height: view.getUint32(20) };
  } else if (has(3) && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    header = { format: 'jpeg', ...jpegSize(bytes, view, source) };
  } else if (has(6) && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a')) {
    if (!has(10)) truncated('GIF');
    header = { format: 'gif', width: view.getUint16(6, true), height: view.getUint16(8, true) };
  } else if (has(12) && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') {
    header = { format: 'webp', ...webpSize(bytes, view, source) };
  } else if (has(2) && ascii(bytes, 0, 2) === 'BM') {
    if (!has(26)) truncated('BMP');
    const dibSize = view.getUint32(14, true);
    header =
      dibSize === 12
        ? { format: 'bmp', width: view.getUint16(18, true), height: view.getUint16(20, true) }
        : { format: 'bmp', width: Math.abs(view.getInt32(18, true)), height: Math.abs(view.getInt32(22, true)) }; // negative height = top-down rows
  }
  if (!header) throw new AaclipError('not an image (PNG, JPEG, GIF, WebP or BMP expected)', source);
  if (header.width === 0 || header.height === 0) throw new AaclipError(`${header.format.toUpperCase()} header gives an empty image`, source);
  return header;
}

function jpegSize(bytes: Uint8Array, view: DataView, source: string): { width: number; height: number } {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) throw new AaclipError('JPEG marker structure is corrupt', source);
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // end of image / start of scan before any frame header
    const length = view.getUint16(at + 2);
    // SOF0–SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 9 > bytes.length) break;
      return { height: view.getUint16(at + 5), width: view.getUint16(at + 7) };
    }
    at += 2 + length;
  }
  throw new AaclipError('JPEG has no frame header in its first bytes (truncated or corrupt)', source);
}

function webpSize(bytes: Uint8Array, view: DataView, source: string): { width: number; height: number } {
  const chunk = bytes.length >= 16 ? ascii(bytes, 12, 4) : '';
  if (chunk === 'VP8 ' && bytes.length >= 30) {
    return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
  }
  if (chunk === 'VP8L' && bytes.length >= 25) {
    const bits = view.getUint32(21, true);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X' && bytes.length >= 30) {
    const u24 = (at: number): number => bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16);
    return { width: u24(24) + 1, height: u24(27) + 1 };
  }
  throw new AaclipError('WebP header is truncated or of an unknown kind', source);
}
