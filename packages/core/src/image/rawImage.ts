/**
 * Decoded pixels as a decoder hands them over (sharp in Node, canvas in the browser):
 * interleaved channels, row-major, no colour management applied.
 *   channels 1 = grey, 2 = grey + alpha, 3 = RGB, 4 = RGBA; bitDepth 8 (Uint8Array) or 16 (Uint16Array).
 */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
  readonly bitDepth: 8 | 16;
  readonly data: Uint8Array | Uint16Array;
}
