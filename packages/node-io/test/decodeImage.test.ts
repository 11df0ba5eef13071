import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageFile } from '../src/decodeImage.js';
import { fixtureFile } from '../../../test-support/fixture.js';

/** A minimal 16-bit grey (1 channel) or RGBA (4 channels) PNG encoder (big-endian samples, filter 0), independent of the decoder under test. */
function png16(width: number, height: number, channels: 1 | 4, samples: Uint16Array): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer): number => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([16, channels === 4 ? 6 : 0, 0, 0, 0], 8); // bit depth 16, colour type 6 (RGBA) or 0 (grey)
  const stride = 1 + width * channels * 2;
  const rows = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < width * channels; i++) rows.writeUInt16BE(samples[y * width * channels + i]!, y * stride + 1 + i * 2);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aaclip-decode-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('decodeImageFile', () => {
  it('decodes the fixture PNGs with their sizes and pixels', async () => {
    const img0 = await decodeImageFile(fixtureFile('images/img0.png'));
    expect([img0.width, img0.height, img0.channels, img0.bitDepth]).toEqual([64, 64, 3, 8]);
    const img1 = await decodeImageFile(fixtureFile('images/img1.png'));
    expect([img1.width, img1.height]).toEqual([80, 60]);
    // The grey image decodes to equal R, G and B.
    const img2 = await decodeImageFile(fixtureFile('images/img2.png'));
    expect([img2.width, img2.height]).toEqual([48, 48]);
    for (let p = 0; p < img2.width * img2.height; p++) {
      const v = img2.data.subarray(p * img2.channels, p * img2.channels + Math.min(3, img2.channels));
      expect(new Set(v).size).toBe(1);
    }
  });

  it('keeps 16-bit depth and the alpha channel for core to convert', async () => {
    const w = 5;
    const h = 3;
    const rgba16 = new Uint16Array(w * h * 4).map((_, i) => (i * 2749) % 65536);
    const file = path.join(dir, 'rgba16.png');
    await writeFile(file, png16(w, h, 4, rgba16));
    const img = await decodeImageFile(file);
    expect([img.width, img.height, img.channels, img.bitDepth]).toEqual([w, h, 4, 16]);
    expect(img.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(img.data)).toEqual(Array.from(rgba16));

    const grey16 = new Uint16Array(w * h).map((_, i) => (i * 4099 + 7) % 65536);
    const greyFile = path.join(dir, 'grey16.png');
    await writeFile(greyFile, png16(w, h, 1, grey16));
    const grey = await decodeImageFile(greyFile);
    expect([grey.channels, grey.bitDepth]).toEqual([1, 16]);
    expect(Array.from(grey.data)).toEqual(Array.from(grey16));
  });

  it('fails with one line naming the file for missing, corrupt and truncated files', async () => {
    const missing = path.join(dir, 'missing.png');
    await expect(decodeImageFile(missing)).rejects.toThrow(`${missing}: no such file`);
    const corrupt = path.join(dir, 'corrupt.jpg');
    await writeFile(corrupt, 'not an image at all');
    await expect(decodeImageFile(corrupt)).rejects.toThrow(new RegExp(`^${corrupt}: not a readable image`));
    const truncated = path.join(dir, 'truncated.png');
    await writeFile(truncated, (await readFile(fixtureFile('images/img0.png'))).subarray(0, 200));
    const err = (await decodeImageFile(truncated).catch((e: unknown) => e)) as Error;
    expect(err.message.startsWith(`${truncated}: `)).toBe(true);
    expect(err.message.split('\n')).toHaveLength(1);
  });
});
