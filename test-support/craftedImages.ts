// Hand-made image files for hostile-input tests.
import zlib from 'node:zlib';

function pngChunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/**
 * A decompression bomb's shape: a valid PNG header declaring `width`×`height` 8-bit RGB pixels
 * followed by a few hundred bytes of compressed zeros (far fewer rows than declared). A decoder
 * that trusts the header allocates width×height×3 bytes; one that checks it first refuses it.
 */
export function declaredSizePng(width: number, height: number): Uint8Array<ArrayBuffer> {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const rows = zlib.deflateSync(Buffer.alloc(64 * 1024));
  return new Uint8Array(Buffer.concat([signature, pngChunk('IHDR', header), pngChunk('IDAT', rows), pngChunk('IEND', new Uint8Array(0))]));
}

/** The 54-byte header of a 24-bit BMP declaring `width`×`height`, with no pixel data after it. */
export function declaredSizeBmp(width: number, height: number): Uint8Array<ArrayBuffer> {
  const b = Buffer.alloc(54);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(54, 10); // pixel data offset
  b.writeUInt32LE(40, 14); // BITMAPINFOHEADER
  b.writeInt32LE(width, 18);
  b.writeInt32LE(height, 22);
  b.writeUInt16LE(1, 26); // planes
  b.writeUInt16LE(24, 28); // bits per pixel
  return new Uint8Array(b);
}
