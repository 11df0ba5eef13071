import type { SeededRandom } from '../random/seededRandom.js';
import { mixRgb, scaleRgb, type Rgb, type RgbCanvas } from './rgbCanvas.js';
import type { SynthDefect, SynthScene } from './synthScene.js';
import { valueNoise } from './valueNoise.js';

/**
 * Draws one defect on a copy of the scene's picture, only within the scene's region. The mask is
 * not drawn here: it is whatever pixels end up different from the clean picture.
 */
export function drawDefect(scene: SynthScene, defect: SynthDefect, rng: SeededRandom): RgbCanvas {
  const out = scene.image.clone();
  const size = out.width;
  const pixels: number[] = [];
  for (let i = 0; i < scene.region.length; i++) if (scene.region[i]) pixels.push(i);
  if (pixels.length === 0) return out;
  const site = (): [number, number] => {
    const i = rng.pick(pixels);
    return [(i % size) + 0.5, Math.floor(i / size) + 0.5];
  };
  // Visits every region pixel whose centre lies within `radius` of (cx, cy).
  const disc = (cx: number, cy: number, radius: number, visit: (i: number, dx: number, dy: number) => void): void => {
    for (let y = Math.max(0, Math.floor(cy - radius)); y <= Math.min(size - 1, Math.ceil(cy + radius)); y++) {
      for (let x = Math.max(0, Math.floor(cx - radius)); x <= Math.min(size - 1, Math.ceil(cx + radius)); x++) {
        const dx = x + 0.5 - cx;
        const dy = y + 0.5 - cy;
        if (dx * dx + dy * dy <= radius * radius && scene.region[y * size + x]) visit(y * size + x, dx, dy);
      }
    }
  };

  switch (defect) {
    case 'scratch': {
      // A thin curved line (a quadratic Bézier), darker on light surfaces and lighter on dark ones.
      const [x0, y0] = site();
      const length = size * rng.range(0.2, 0.45);
      const angle = rng.range(0, 2 * Math.PI);
      const x2 = x0 + length * Math.cos(angle);
      const y2 = y0 + length * Math.sin(angle);
      const bow = length * rng.range(-0.3, 0.3);
      const x1 = (x0 + x2) / 2 - bow * Math.sin(angle);
      const y1 = (y0 + y2) / 2 + bow * Math.cos(angle);
      const radius = Math.max(0.75, size * rng.range(0.004, 0.008));
      const tone: Rgb = out.brightness(Math.floor(y0) * size + Math.floor(x0)) > 0.5 ? [0.1, 0.09, 0.08] : [0.95, 0.95, 0.92];
      const hit = new Set<number>();
      const steps = Math.ceil(length * 3);
      for (let s = 0; s <= steps; s++) {
        const t = s / steps;
        const px = (1 - t) * (1 - t) * x0 + 2 * (1 - t) * t * x1 + t * t * x2;
        const py = (1 - t) * (1 - t) * y0 + 2 * (1 - t) * t * y1 + t * t * y2;
        disc(px, py, radius, (i) => hit.add(i));
      }
      for (const i of hit) out.blend(i, tone, 0.8);
      break;
    }
    case 'hole': {
      // A round hole: dark inside, darkest at the centre; placed where the whole disc is on the region.
      let radius = size * rng.range(0.04, 0.07);
      let [cx, cy] = site();
      for (let attempt = 1; attempt < 40; attempt++) {
        let inside = 0;
        disc(cx, cy, radius, () => inside++);
        if (inside >= 0.95 * Math.PI * radius * radius) break;
        if (attempt % 10 === 0) radius *= 0.85;
        [cx, cy] = site();
      }
      disc(cx, cy, radius, (i, dx, dy) => {
        const depth = Math.hypot(dx, dy) / radius;
        out.set(i, mixRgb([0.02, 0.02, 0.02], scaleRgb(scene.image.get(i), 0.35), depth ** 3));
      });
      break;
    }
    case 'stain': {
      // An irregular blob of colour laid over the surface, its outline a sum of a few harmonics.
      const [cx, cy] = site();
      const radius = size * rng.range(0.06, 0.11);
      const harmonics = [2, 3, 5].map((k) => ({ k, amplitude: rng.range(0, 0.13), phase: rng.range(0, 2 * Math.PI) }));
      const colour = rng.pick<Rgb>([[0.45, 0.3, 0.1], [0.25, 0.3, 0.1], [0.5, 0.12, 0.1], [0.15, 0.15, 0.3]]);
      const seed = rng.nextUint32();
      disc(cx, cy, radius * 1.4, (i, dx, dy) => {
        const theta = Math.atan2(dy, dx);
        const edge = radius * (1 + harmonics.reduce((sum, h) => sum + h.amplitude * Math.sin(h.k * theta + h.phase), 0));
        if (Math.hypot(dx, dy) > edge) return;
        out.blend(i, colour, 0.6 + 0.25 * valueNoise(dx / 3, dy / 3, seed));
      });
      break;
    }
    case 'missing_part': {
      // A bite out of the object's outline, showing the backdrop.
      const background = scene.background ?? scene.image;
      const edge = pixels.filter((i) => {
        const x = i % size;
        const y = Math.floor(i / size);
        return x === 0 || y === 0 || x === size - 1 || y === size - 1 ||
          !scene.region[i - 1] || !scene.region[i + 1] || !scene.region[i - size] || !scene.region[i + size];
      });
      const i0 = rng.pick(edge.length > 0 ? edge : pixels);
      disc((i0 % size) + 0.5, Math.floor(i0 / size) + 0.5, size * rng.range(0.08, 0.13), (i) => out.set(i, background.get(i)));
      break;
    }
  }
  return out;
}
