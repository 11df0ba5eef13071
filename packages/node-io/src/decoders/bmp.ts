import { AaclipError, type RawImage } from '@aaclip/core';
import { checkPixelCount, MAX_IMAGE_PIXELS } from '../pixelLimit.js';

/** True when the bytes start like a Windows bitmap ("BM"). */
export function looksLikeBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;

/** Position and width of a channel inside a packed pixel, from its bit mask. */
function maskField(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

/**
 * Decodes an uncompressed BMP (1/4/8-bit palette, 16-, 24- or 32-bit, BI_RGB or bit fields;
 * bottom-up or top-down) to 8-bit RGB, as PIL's convert('RGB') would see it (alpha dropped).
 * sharp has no BMP loader, and some datasets (BTAD) ship BMP files.
 */
export function decodeBmp(bytes: Uint8Array, source: string, maxPixels = MAX_IMAGE_PIXELS): RawImage {
  const fail = (problem: string): never => {
    throw new AaclipError(`not a readable BMP (${problem})`, source);
  };
  if (bytes.length < 26) fail('file too short for its headers');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  if (headerSize !== 12 && headerSize < 40) fail(`unknown header size ${headerSize}`);
  if (14 + headerSize > bytes.length) fail('truncated header');
  const core = headerSize === 12;
  const width = core ? view.getUint16(18, true) : view.getInt32(18, true);
  const rawHeight = core ? view.getInt16(20, true) : view.getInt32(22, true);
  const bpp = core ? view.getUint16(24, true) : view.getUint16(28, true);
  const compression = core ? BI_RGB : view.getUint32(30, true);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height <= 0) fail(`bad size ${width}×${rawHeight}`);
  checkPixelCount(width, height, maxPixels, source);
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) fail(`${bpp} bits per pixel is not supported`);
  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS) {
    fail(`compression ${compression} (RLE/JPEG/PNG in BMP) is not supported`);
  }

  let masks = bpp === 16 ? [0x7c00, 0x03e0, 0x001f] : [0xff0000, 0x00ff00, 0x0000ff];
  if (compression !== BI_RGB) {
    // Masks follow a 40-byte header; larger headers hold them at the same place.
    if (14 + 40 + 12 > bytes.length) fail('truncated bit-field masks');
    masks = [view.getUint32(54, true), view.getUint32(58, true), view.getUint32(62, true)];
  }

  let palette: Uint8Array | null = null;
  if (bpp <= 8) {
    const entrySize = core ? 3 : 4;
    const declared = core ? 0 : view.getUint32(46, true);
    const count = declared || 1 << bpp;
    const start = 14 + headerSize + (compression === BI_BITFIELDS && headerSize === 40 ? 12 : 0);
    if (start + count * entrySize > bytes.length) fail('truncated palette');
    palette = new Uint8Array(count * 3);
    for (let i = 0; i < count; i++) {
      palette[i * 3] = bytes[start + i * entrySize + 2]!;
      palette[i * 3 + 1] = bytes[start + i * entrySize + 1]!;
      palette[i * 3 + 2] = bytes[start + i * entrySize]!;
    }
  }

  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  if (dataOffset + stride * height > bytes.length) fail(`pixel data is truncated (needs ${dataOffset + stride * height} bytes, file has ${bytes.length})`);
  const fields = masks.map(maskField);
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      if (palette) {
        const bit = x * bpp;
        const byte = bytes[row + (bit >> 3)]!;
        const index = (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        if (index * 3 >= palette.length) fail(`palette index ${index} is past the ${palette.length / 3}-entry palette`);
        out[o] = palette[index * 3]!;
        out[o + 1] = palette[index * 3 + 1]!;
        out[o + 2] = palette[index * 3 + 2]!;
      } else if (bpp === 24) {
        const p = row + x * 3;
        out[o] = bytes[p + 2]!;
        out[o + 1] = bytes[p + 1]!;
        out[o + 2] = bytes[p]!;
      } else {
        const p = row + x * (bpp / 8);
        const value = bpp === 16 ? view.getUint16(p, true) : view.getUint32(p, true);
        for (let c = 0; c < 3; c++) {
          const { shift, max } = fields[c]!;
          out[o + c] = max === 0 ? 0 : Math.round((((value >>> shift) & max) * 255) / max);
        }
      }
    }
  }
  return { width, height, channels: 3, bitDepth: 8, data: out };
}
