// Builds small dataset trees on disk for the layout tests.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

export async function makeWorkDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `aaclip-datasets-${prefix}-`));
}

/** Writes a real image file (format from the extension) of the given size, filled with `value`. */
export async function writeImage(file: string, width = 8, height = 8, value = 128): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const channels = 3;
  const pixels = Buffer.alloc(width * height * channels, value);
  const image = sharp(pixels, { raw: { width, height, channels } });
  const ext = path.extname(file).toLowerCase();
  const bytes =
    ext === '.jpg' || ext === '.jpeg' ? await image.jpeg().toBuffer()
    : ext === '.tif' || ext === '.tiff' ? await image.tiff().toBuffer()
    : ext === '.bmp' ? bmp(width, height, value)
    : await image.png().toBuffer();
  await writeFile(file, bytes);
}

/** A minimal 24-bit BMP (sharp writes no BMP; BTAD's product 01 and 03 images are BMP). */
function bmp(width: number, height: number, value: number): Buffer {
  const rowBytes = Math.ceil((width * 3) / 4) * 4;
  const size = 54 + rowBytes * height;
  const b = Buffer.alloc(size, 0);
  b.write('BM', 0, 'ascii');
  b.writeUInt32LE(size, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(width, 18);
  b.writeInt32LE(height, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  b.writeUInt32LE(rowBytes * height, 34);
  for (let y = 0; y < height; y++) b.fill(value, 54 + y * rowBytes, 54 + y * rowBytes + width * 3);
  return b;
}

/** Writes the given text (creating folders). */
export async function writeText(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

/** Writes every listed image path (relative to `root`) as an 8×8 image. */
export async function writeImages(root: string, files: readonly string[], width = 8, height = 8): Promise<void> {
  await Promise.all(files.map((f) => writeImage(path.join(root, f), width, height)));
}
