// Fuzzing the BMP decoder: random bytes after "BM", and valid bitmaps of every supported depth
// (palette 1/4/8-bit, 16-bit bit fields, 24- and 32-bit, the 12-byte core header) mutated in their
// bytes or with header fields (offsets, sizes, depth, compression, palette count, masks) set to
// extremes. Each case decodes to an image whose pixels match its size or throws a one-line
// AaclipError, within FUZZ_CASE_MS and FUZZ_CASE_HEAP_BYTES.
import type { RawImage } from '@aaclip/core';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { boundedRead } from '../../../../test-support/fuzz/boundedRead.js';
import { mutatedBytes, randomBytes } from '../../../../test-support/fuzz/mutations.js';
import { runFuzz } from '../../../../test-support/fuzz/runFuzz.js';
import { decodeBmp } from '../../src/decoders/bmp.js';

const SOURCE = 'fuzz.bmp';
const WIDTH = 5;
const HEIGHT = 3;

/** A WIDTH×HEIGHT bitmap with a BITMAPINFOHEADER (or the 12-byte core header), pixels from a counter. */
function bitmap(bpp: number, options: { masks?: boolean; core?: boolean; topDown?: boolean } = {}): Uint8Array {
  const headerSize = options.core ? 12 : 40;
  const paletteEntries = bpp <= 8 ? 1 << bpp : 0;
  const entrySize = options.core ? 3 : 4;
  const maskBytes = options.masks ? 12 : 0;
  const dataOffset = 14 + headerSize + maskBytes + paletteEntries * entrySize;
  const stride = Math.floor((bpp * WIDTH + 31) / 32) * 4;
  const out = new Uint8Array(dataOffset + stride * HEIGHT);
  const v = new DataView(out.buffer);
  out.set([0x42, 0x4d]);
  v.setUint32(2, out.length, true);
  v.setUint32(10, dataOffset, true);
  v.setUint32(14, headerSize, true);
  if (options.core) {
    v.setUint16(18, WIDTH, true);
    v.setInt16(20, HEIGHT, true);
    v.setUint16(22, 1, true);
    v.setUint16(24, bpp, true);
  } else {
    v.setInt32(18, WIDTH, true);
    v.setInt32(22, options.topDown ? -HEIGHT : HEIGHT, true);
    v.setUint16(26, 1, true);
    v.setUint16(28, bpp, true);
    v.setUint32(30, options.masks ? 3 : 0, true);
    v.setUint32(34, stride * HEIGHT, true);
    v.setUint32(46, paletteEntries, true);
  }
  if (options.masks) [0xf800, 0x07e0, 0x001f].forEach((m, i) => v.setUint32(54 + i * 4, m, true));
  for (let i = 0; i < paletteEntries; i++) out.set([i, 255 - i, (i * 7) & 255], 14 + headerSize + maskBytes + i * entrySize);
  for (let i = dataOffset; i < out.length; i++) out[i] = (i * 37) & (bpp <= 8 ? (1 << bpp) - 1 : 255);
  return out;
}

const BASES: readonly Uint8Array[] = [
  bitmap(1),
  bitmap(4),
  bitmap(8),
  bitmap(8, { core: true }),
  bitmap(16),
  bitmap(16, { masks: true }),
  bitmap(24),
  bitmap(24, { topDown: true }),
  bitmap(32),
];
/** dataOffset, header size, width, height, planes, depth, compression, image size, palette count, masks (and the core header's). */
const FIELD_OFFSETS = [2, 10, 14, 18, 20, 22, 24, 26, 28, 30, 34, 46, 54, 58, 62];

function checkImage(image: RawImage): void {
  const { width, height, channels, data } = image;
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0) throw new Error(`bad size ${width}×${height}`);
  if (channels !== 3 || data.length !== width * height * 3) throw new Error(`${data.length} bytes for ${width}×${height}×${channels}`);
}

function decodesSafely(bytes: Uint8Array): void {
  const outcome = boundedRead(() => decodeBmp(bytes, SOURCE));
  if (outcome.ok) checkImage(outcome.value);
}

describe('fuzzing decodeBmp', () => {
  it('decodes every unmutated base bitmap', () => {
    for (const base of BASES) {
      const outcome = boundedRead(() => decodeBmp(base, SOURCE));
      if (!outcome.ok) throw outcome.error;
      checkImage(outcome.value);
      if (outcome.value.width !== WIDTH || outcome.value.height !== HEIGHT) throw new Error('a base bitmap decoded to another size');
    }
  });

  it('random bytes after "BM"', async () => {
    await runFuzz(fc.property(randomBytes(Uint8Array.of(0x42, 0x4d), 256), decodesSafely), 0xb3901, 300);
  });

  it('valid bitmaps with bytes flipped, cut, inserted or removed, or header fields set to extremes', async () => {
    const property = fc.property(
      fc.constantFrom(...BASES).chain((base) => mutatedBytes(base, { fieldOffsets: FIELD_OFFSETS })),
      decodesSafely,
    );
    await runFuzz(property, 0xb3902, 600);
  });
});
