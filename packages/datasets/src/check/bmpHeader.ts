import { open } from 'node:fs/promises';

/** BITMAPCOREHEADER and the BITMAPINFOHEADER family (v1, v2, v3, v4, v5) sizes. */
const DIB_HEADER_SIZES = [12, 40, 52, 56, 108, 124];

/**
 * The size of a Windows bitmap from its header, or the reason it is not one. sharp (libvips) has
 * no BMP loader, and BTAD ships BMP images, so their headers are read here.
 * Returns null when the file does not start with "BM".
 */
export async function readBmpSize(file: string): Promise<{ width: number; height: number } | { reason: string } | null> {
  const handle = await open(file, 'r');
  try {
    const header = Buffer.alloc(26);
    const { bytesRead } = await handle.read(header, 0, 26, 0);
    if (bytesRead < 2 || header.toString('latin1', 0, 2) !== 'BM') return null;
    if (bytesRead < 26) return { reason: 'BMP header cut short' };
    const dibSize = header.readUInt32LE(14);
    if (!DIB_HEADER_SIZES.includes(dibSize)) return { reason: `BMP header of unknown size ${dibSize}` };
    const width = dibSize === 12 ? header.readUInt16LE(18) : header.readInt32LE(18);
    const height = Math.abs(dibSize === 12 ? header.readUInt16LE(20) : header.readInt32LE(22));
    if (width <= 0 || height <= 0) return { reason: `BMP size ${width}×${height}` };
    const pixelOffset = header.readUInt32LE(10);
    const { size } = await handle.stat();
    if (pixelOffset >= size) return { reason: `BMP pixel data offset ${pixelOffset} beyond the file (${size} bytes)` };
    return { width, height };
  } finally {
    await handle.close();
  }
}
