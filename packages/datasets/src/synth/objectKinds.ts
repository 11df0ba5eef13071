import type { SeededRandom } from '../random/seededRandom.js';
import { mixRgb, RgbCanvas, scaleRgb, type Rgb } from './rgbCanvas.js';
import type { SceneRenderer, SynthKind } from './synthScene.js';
import { fractalNoise, valueNoise } from './valueNoise.js';

// Procedural objects on a plain backdrop: defects land on the object, and a missing part shows
// the backdrop through it.
const OBJECT_DEFECTS = ['scratch', 'hole', 'stain', 'missing_part'] as const;

/** An object placed in one picture: whether a pixel is on it, and its colour there. */
interface PlacedObject {
  covers(x: number, y: number): boolean;
  shade(x: number, y: number): Rgb;
}

function objectRenderer(backdrop: Rgb, place: (size: number, rng: SeededRandom, seed: number) => PlacedObject): SceneRenderer {
  return (size, rng) => {
    const seed = rng.nextUint32();
    const object = place(size, rng, seed);
    const background = new RgbCanvas(size, size);
    const image = new RgbCanvas(size, size);
    const region = new Uint8Array(size * size);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const i = y * size + x;
        const back = scaleRgb(backdrop, 0.9 + 0.18 * fractalNoise((x / size) * 5, (y / size) * 5, seed + 101, 3));
        background.set(i, back);
        if (object.covers(x + 0.5, y + 0.5)) {
          region[i] = 1;
          image.set(i, object.shade(x + 0.5, y + 0.5));
        } else image.set(i, back);
      }
    }
    return { image, region, background };
  };
}

/** A flat metal ring lit from one side, with radial brushing. */
export const metalWasher: SynthKind = {
  name: 'metal_washer',
  defects: OBJECT_DEFECTS,
  design(rng) {
    const metal: Rgb = [rng.range(0.6, 0.75), rng.range(0.6, 0.72), rng.range(0.6, 0.7)];
    const innerRatio = rng.range(0.35, 0.45);
    return objectRenderer([0.16, 0.17, 0.19], (size, r, seed) => {
      const cx = size * (0.5 + r.range(-0.04, 0.04));
      const cy = size * (0.5 + r.range(-0.04, 0.04));
      const outer = size * r.range(0.33, 0.37);
      const inner = outer * innerRatio;
      const light = r.range(0, 2 * Math.PI);
      return {
        covers: (x, y) => {
          const d = Math.hypot(x - cx, y - cy);
          return d <= outer && d >= inner;
        },
        shade: (x, y) => {
          const d = Math.hypot(x - cx, y - cy);
          const theta = Math.atan2(y - cy, x - cx);
          const bevel = Math.sin(Math.PI * ((d - inner) / (outer - inner))) ** 0.5;
          const lit = 0.75 + 0.25 * Math.cos(theta - light);
          const brush = 0.9 + 0.2 * valueNoise(theta * 40, (d / size) * 3, seed);
          return scaleRgb(metal, (0.55 + 0.45 * bevel) * lit * brush);
        },
      };
    });
  },
};

/** A two-coloured capsule, rounded and glossy, at a slight tilt. */
export const capsulePill: SynthKind = {
  name: 'capsule_pill',
  defects: OBJECT_DEFECTS,
  design(rng) {
    const capA: Rgb = [rng.range(0.75, 0.95), rng.range(0.35, 0.55), rng.range(0.05, 0.2)];
    const capB: Rgb = rng.next() < 0.5 ? [0.12, 0.12, 0.13] : [0.9, 0.88, 0.82];
    const baseAngle = rng.range(-0.4, 0.4);
    return objectRenderer([0.86, 0.86, 0.84], (size, r) => {
      const cx = size * (0.5 + r.range(-0.04, 0.04));
      const cy = size * (0.5 + r.range(-0.04, 0.04));
      const angle = baseAngle + r.range(-0.15, 0.15);
      const half = size * 0.27;
      const radius = size * 0.12;
      const ax = Math.cos(angle);
      const ay = Math.sin(angle);
      // s: position along the axis; t: signed distance across it.
      const frame = (x: number, y: number): [number, number] => [(x - cx) * ax + (y - cy) * ay, -(x - cx) * ay + (y - cy) * ax];
      const distance = (x: number, y: number): number => {
        const [s, t] = frame(x, y);
        const along = Math.max(0, Math.abs(s) - half);
        return Math.hypot(along, t);
      };
      return {
        covers: (x, y) => distance(x, y) <= radius,
        shade: (x, y) => {
          const [s, t] = frame(x, y);
          const round = Math.sqrt(Math.max(0, 1 - (distance(x, y) / radius) ** 2));
          const colour = scaleRgb(s < 0 ? capA : capB, 0.45 + 0.55 * round);
          const gloss = Math.max(0, 1 - Math.abs(t / radius + 0.45) * 5) * (Math.abs(s) < half ? 0.6 : 0.3);
          return mixRgb(colour, [1, 1, 1], gloss);
        },
      };
    });
  },
};

/** A brushed rectangular plate with rounded corners and four mounting holes. */
export const metalPlate: SynthKind = {
  name: 'metal_plate',
  defects: OBJECT_DEFECTS,
  design(rng) {
    const steel: Rgb = [rng.range(0.35, 0.5), rng.range(0.45, 0.55), rng.range(0.6, 0.75)];
    return objectRenderer([0.2, 0.19, 0.17], (size, r, seed) => {
      const cx = size * (0.5 + r.range(-0.03, 0.03));
      const cy = size * (0.5 + r.range(-0.03, 0.03));
      const angle = r.range(-0.25, 0.25);
      const hw = size * 0.34;
      const hh = size * 0.24;
      const corner = size * 0.05;
      const hole = size * 0.035;
      const inset = size * 0.08;
      const ax = Math.cos(angle);
      const ay = Math.sin(angle);
      const frame = (x: number, y: number): [number, number] => [(x - cx) * ax + (y - cy) * ay, -(x - cx) * ay + (y - cy) * ax];
      const covers = (x: number, y: number): boolean => {
        const [u, v] = frame(x, y);
        const qx = Math.max(0, Math.abs(u) - (hw - corner));
        const qy = Math.max(0, Math.abs(v) - (hh - corner));
        if (Math.abs(u) > hw || Math.abs(v) > hh || Math.hypot(qx, qy) > corner) return false;
        return Math.hypot(Math.abs(u) - (hw - inset), Math.abs(v) - (hh - inset)) > hole;
      };
      return {
        covers,
        shade: (x, y) => {
          const [u, v] = frame(x, y);
          const brush = 0.88 + 0.2 * valueNoise((u / size) * 4, (v / size) * 120, seed);
          const light = 0.8 + 0.25 * ((u / hw + v / hh) / 2);
          const edge = Math.min(hw - Math.abs(u), hh - Math.abs(v)) < size * 0.012 ? 1.2 : 1;
          return scaleRgb(steel, brush * light * edge);
        },
      };
    });
  },
};
