/** An RGB colour, channels in [0, 1]. */
export type Rgb = readonly [number, number, number];

/** A float RGB picture being drawn (row-major, interleaved, channels in [0, 1]). */
export class RgbCanvas {
  readonly data: Float32Array;

  constructor(readonly width: number, readonly height: number, data?: Float32Array) {
    this.data = data ?? new Float32Array(width * height * 3);
  }

  clone(): RgbCanvas {
    return new RgbCanvas(this.width, this.height, this.data.slice());
  }

  /** Sets pixel `i` (y * width + x). */
  set(i: number, c: Rgb): void {
    this.data[i * 3] = c[0];
    this.data[i * 3 + 1] = c[1];
    this.data[i * 3 + 2] = c[2];
  }

  get(i: number): Rgb {
    return [this.data[i * 3]!, this.data[i * 3 + 1]!, this.data[i * 3 + 2]!];
  }

  /** Moves pixel `i` toward `c` by `alpha` (0 keeps it, 1 replaces it). */
  blend(i: number, c: Rgb, alpha: number): void {
    for (let k = 0; k < 3; k++) {
      const v = this.data[i * 3 + k]!;
      this.data[i * 3 + k] = v + (c[k]! - v) * alpha;
    }
  }

  /** Mean of the three channels at pixel `i`. */
  brightness(i: number): number {
    return (this.data[i * 3]! + this.data[i * 3 + 1]! + this.data[i * 3 + 2]!) / 3;
  }

  /** 8-bit RGB bytes, rounded and clamped. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.data.length);
    for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, this.data[i]!)) * 255);
    return out;
  }
}

export function mixRgb(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

export function scaleRgb(c: Rgb, s: number): Rgb {
  return [c[0] * s, c[1] * s, c[2] * s];
}
