import sharp from 'sharp';

/**
 * PNG bytes of 8-bit pixels (1 channel grey or 3 channels RGB). Every encoder option is set
 * explicitly and sharp writes no metadata by default, so equal pixels give equal bytes.
 */
export async function encodePng(pixels: Uint8Array, width: number, height: number, channels: 1 | 3): Promise<Buffer> {
  const input = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  // Raw one-channel input is otherwise written as RGB; masks stay 8-bit grey as in MVTec AD.
  return sharp(input, { raw: { width, height, channels } })
    .toColourspace(channels === 1 ? 'b-w' : 'srgb')
    .png({ compressionLevel: 6, adaptiveFiltering: false, palette: false, progressive: false })
    .toBuffer();
}
