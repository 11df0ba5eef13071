import type { SeededRandom } from '../random/seededRandom.js';
import { mixRgb, RgbCanvas, scaleRgb, type Rgb } from './rgbCanvas.js';
import type { SceneRenderer, SynthKind } from './synthScene.js';
import { fractalNoise, valueNoise } from './valueNoise.js';

// Procedural textures: every pixel is a defect site, so defects are scratches, holes and stains.
const TEXTURE_DEFECTS = ['scratch', 'hole', 'stain'] as const;

/** A colour near `base`, each channel moved by up to ±`spread`. */
function jitter(rng: SeededRandom, base: Rgb, spread: number): Rgb {
  return [base[0] + rng.range(-spread, spread), base[1] + rng.range(-spread, spread), base[2] + rng.range(-spread, spread)];
}

/** Renders a texture from a per-pixel shader; the region is the whole picture. */
function textureRenderer(shade: (x: number, y: number, size: number, seed: number) => Rgb): SceneRenderer {
  return (size, rng) => {
    const image = new RgbCanvas(size, size);
    const seed = rng.nextUint32();
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) image.set(y * size + x, shade(x, y, size, seed));
    }
    return { image, region: new Uint8Array(size * size).fill(1), background: null };
  };
}

/** Woven fabric: warp and weft threads crossing over and under in a checker pattern. */
export const wovenFabric: SynthKind = {
  name: 'woven_fabric',
  defects: TEXTURE_DEFECTS,
  design(rng) {
    const warp = jitter(rng, [0.55, 0.45, 0.35], 0.15);
    const weft = mixRgb(warp, jitter(rng, [0.6, 0.6, 0.6], 0.2), 0.35);
    const threads = rng.range(10, 16);
    return textureRenderer((x, y, size, seed) => {
      const p = size / threads;
      const wobble = (fractalNoise(x / p, y / p, seed, 2) - 0.5) * 0.35;
      const u = x / p + wobble;
      const v = y / p - wobble;
      const warpOnTop = (Math.floor(u) + Math.floor(v)) % 2 === 0;
      const across = warpOnTop ? u - Math.floor(u) : v - Math.floor(v);
      const along = warpOnTop ? v : u;
      const profile = 0.62 + 0.38 * Math.sin(Math.PI * across);
      const fibre = 0.92 + 0.16 * valueNoise(along * 6, across * 2, seed + 7);
      return scaleRgb(warpOnTop ? warp : weft, profile * fibre);
    });
  },
};

/** Wood: growth rings bent by low-frequency noise, with fine fibres along the grain. */
export const woodGrain: SynthKind = {
  name: 'wood_grain',
  defects: TEXTURE_DEFECTS,
  design(rng) {
    const light = jitter(rng, [0.78, 0.58, 0.38], 0.08);
    const dark = scaleRgb(light, rng.range(0.55, 0.7));
    const rings = rng.range(5, 9);
    return textureRenderer((x, y, size, seed) => {
      const bend = fractalNoise((x / size) * 1.5, (y / size) * 3, seed, 3) * 1.8;
      const ring = 0.5 + 0.5 * Math.sin(2 * Math.PI * ((y / size) * rings + bend));
      const fibre = valueNoise((x / size) * 6, (y / size) * 90, seed + 3);
      return scaleRgb(mixRgb(dark, light, ring ** 1.6), 0.9 + 0.15 * fibre);
    });
  },
};

/** Speckled tile: a mottled base with scattered dark and light grains. */
export const speckledTile: SynthKind = {
  name: 'speckled_tile',
  defects: TEXTURE_DEFECTS,
  design(rng) {
    const base = jitter(rng, [0.72, 0.72, 0.7], 0.1);
    const fleck = jitter(rng, [0.25, 0.22, 0.2], 0.08);
    const grain = rng.range(10, 16);
    return textureRenderer((x, y, size, seed) => {
      const mottle = 0.88 + 0.2 * fractalNoise((x / size) * 4, (y / size) * 4, seed, 3);
      const spot = valueNoise((x / size) * grain * 3, (y / size) * grain * 3, seed + 11);
      const pale = valueNoise((x / size) * grain * 2, (y / size) * grain * 2, seed + 23);
      let c = scaleRgb(base, mottle);
      if (spot > 0.8) c = mixRgb(c, fleck, Math.min(1, (spot - 0.8) * 8));
      if (pale > 0.85) c = mixRgb(c, [0.95, 0.95, 0.93], Math.min(1, (pale - 0.85) * 6));
      return c;
    });
  },
};

/** Wire mesh: a slightly rotated grid of round wires over a dark backing. */
export const wireMesh: SynthKind = {
  name: 'wire_mesh',
  defects: TEXTURE_DEFECTS,
  design(rng) {
    const metal = jitter(rng, [0.7, 0.7, 0.72], 0.08);
    const backing = jitter(rng, [0.12, 0.12, 0.14], 0.05);
    const cells = rng.range(7, 11);
    const angle = rng.range(-0.2, 0.2);
    return textureRenderer((x, y, size, seed) => {
      const p = size / cells;
      const u = (x * Math.cos(angle) + y * Math.sin(angle)) / p;
      const v = (-x * Math.sin(angle) + y * Math.cos(angle)) / p;
      const du = Math.abs(u - Math.round(u)) * p;
      const dv = Math.abs(v - Math.round(v)) * p;
      const half = p * 0.14;
      const d = Math.min(du, dv);
      const noise = 0.9 + 0.2 * fractalNoise((x / size) * 8, (y / size) * 8, seed, 2);
      if (d > half) return scaleRgb(backing, noise);
      return scaleRgb(metal, (0.55 + 0.45 * Math.cos((d / half) * (Math.PI / 2))) * noise);
    });
  },
};
