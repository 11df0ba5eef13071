import { AaclipError } from '../errors/aaclipError.js';
import type { RawImage } from '../image/rawImage.js';
import type { Rgb8Image } from './rgb8Image.js';

/**
 * Converts decoded pixels to 8-bit RGB with the semantics of PIL's `Image.convert('RGB')`, which the
 * reference applies to every input:
 *  - grey is replicated to R = G = B;
 *  - alpha (grey + alpha, RGBA) is dropped, NOT composited over a background — PIL's convert('RGB')
 *    simply discards it, so transparent pixels keep their stored colour;
 *  - 16-bit samples become 8-bit by keeping the high byte (v >> 8). This is what PIL does when it
 *    opens 16-bit RGB / RGBA / grey+alpha PNGs. For 16-bit grey PIL instead opens mode "I;16" and
 *    convert('RGB') clips the value to 0..255 (so almost every pixel turns white); we deliberately
 *    deviate and scale with v >> 8 like the other 16-bit modes, which keeps the image's content.
 * `source` names the image in error messages.
 */
export function toRgb8(image: RawImage, source = 'image'): Rgb8Image {
  const { width, height, channels, bitDepth, data } = image;
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new AaclipError(`image size ${width}×${height} is not a positive integer size`, source);
  }
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) {
    throw new AaclipError(`unsupported channel count ${String(channels)} (expected 1, 2, 3 or 4)`, source);
  }
  if (bitDepth === 8) {
    if (!(data instanceof Uint8Array)) throw new AaclipError('8-bit pixel data must be a Uint8Array', source);
  } else if (bitDepth === 16) {
    if (!(data instanceof Uint16Array)) throw new AaclipError('16-bit pixel data must be a Uint16Array', source);
  } else {
    throw new AaclipError(`unsupported bit depth ${String(bitDepth)} (expected 8 or 16)`, source);
  }
  const pixels = width * height;
  if (data.length !== pixels * channels) {
    throw new AaclipError(
      `has ${data.length} samples, a ${width}×${height} image with ${channels} channel(s) needs ${pixels * channels}`,
      source,
    );
  }

  const out = new Uint8Array(pixels * 3);
  const shift = bitDepth === 16 ? 8 : 0;
  if (channels === 1 || channels === 2) {
    for (let p = 0, s = 0, d = 0; p < pixels; p++, s += channels, d += 3) {
      const v = data[s]! >> shift;
      out[d] = v;
      out[d + 1] = v;
      out[d + 2] = v;
    }
  } else if (channels === 3 && shift === 0) {
    out.set(data);
  } else {
    for (let p = 0, s = 0, d = 0; p < pixels; p++, s += channels, d += 3) {
      out[d] = data[s]! >> shift;
      out[d + 1] = data[s + 1]! >> shift;
      out[d + 2] = data[s + 2]! >> shift;
    }
  }
  return { width, height, data: out };
}
