import type { SeededRandom } from '../random/seededRandom.js';
import type { RgbCanvas } from './rgbCanvas.js';

/** The defects the generator draws. */
export type SynthDefect = 'scratch' | 'hole' | 'stain' | 'missing_part';

/** One rendered defect-free picture and what a defect needs to know about it. */
export interface SynthScene {
  readonly image: RgbCanvas;
  /** 1 where a defect may go: the object's pixels, or every pixel of a texture. */
  readonly region: Uint8Array;
  /** What shows where part of the object is missing (objects only). */
  readonly background: RgbCanvas | null;
}

/** Draws one picture of a class; `rng` varies position, lighting and grain between pictures. */
export type SceneRenderer = (size: number, rng: SeededRandom) => SynthScene;

/** A family of synthetic classes: a texture or an object, and the defects it can show. */
export interface SynthKind {
  readonly name: string;
  readonly defects: readonly SynthDefect[];
  /** Picks one class's look (palette, scale) and returns the renderer of its pictures. */
  design(rng: SeededRandom): SceneRenderer;
}
