import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AaclipError } from '@aaclip/core';
import { z } from 'zod';
import { deriveSeed, SeededRandom } from '../random/seededRandom.js';
import { encodePng } from './encodePng.js';
import { drawDefect } from './drawDefect.js';
import { SYNTH_KINDS } from './synthKinds.js';
import type { SceneRenderer, SynthDefect, SynthKind } from './synthScene.js';

export const synthOptionsSchema = z.strictObject({
  /** Number of classes. */
  classes: z.number().int().min(1).max(1000).default(2),
  /** Images in every folder: train/good, test/good and each test/<defect>. */
  images: z.number().int().min(1).max(10000).default(3),
  seed: z.number().int().min(0).max(0xffffffff).default(0),
  /** Side of the square pictures, in pixels. */
  size: z.number().int().min(32).max(2048).default(256),
});

export type SynthOptions = z.input<typeof synthOptionsSchema>;

/** One synthetic class: its folder name, family and picture renderer. */
export interface SynthClass {
  readonly name: string;
  readonly kind: SynthKind;
  readonly render: SceneRenderer;
}

/** One picture as 8-bit RGB bytes, the same picture before the defect, and the exact mask. */
export interface SynthPicture {
  readonly size: number;
  readonly image: Uint8Array;
  readonly clean: Uint8Array;
  /** 255 where the defect changed the picture, else 0; null for normal pictures. */
  readonly mask: Uint8Array | null;
}

/** The classes for a seed: families in turn, each class with its own palette and scale. */
export function planSynthClasses(count: number, seed: number): SynthClass[] {
  return Array.from({ length: count }, (_, i) => {
    const kind = SYNTH_KINDS[i % SYNTH_KINDS.length]!;
    const round = Math.floor(i / SYNTH_KINDS.length);
    const name = round === 0 ? kind.name : `${kind.name}_${round + 1}`;
    return { name, kind, render: kind.design(new SeededRandom(deriveSeed(seed, 'class', name))) };
  });
}

/**
 * Renders one picture of a class. `folder` is "good" or a defect; each picture has its own seed
 * stream (seed, class, split, folder, index), so it does not depend on what else is generated.
 */
export function renderSynthPicture(
  cls: SynthClass,
  split: 'train' | 'test',
  folder: 'good' | SynthDefect,
  index: number,
  seed: number,
  size: number,
): SynthPicture {
  const scene = cls.render(size, new SeededRandom(deriveSeed(seed, cls.name, split, folder, index)));
  const clean = scene.image.toBytes();
  if (folder === 'good') return { size, image: clean, clean, mask: null };
  // Redraw a defect that changed almost nothing (a scratch grazing the edge of an object).
  const minimum = Math.max(4, Math.round(size * size * 0.001));
  let best: { image: Uint8Array; mask: Uint8Array; changed: number } | null = null;
  for (let attempt = 0; attempt < 8 && (best === null || best.changed < minimum); attempt++) {
    const rng = new SeededRandom(deriveSeed(seed, cls.name, split, folder, index, 'defect', attempt));
    const image = drawDefect(scene, folder, rng).toBytes();
    const { mask, changed } = changedPixels(clean, image, size * size);
    if (best === null || changed > best.changed) best = { image, mask, changed };
  }
  return { size, image: best!.image, clean, mask: best!.mask };
}

/** The mask of pixels where any channel differs. */
function changedPixels(a: Uint8Array, b: Uint8Array, pixels: number): { mask: Uint8Array; changed: number } {
  const mask = new Uint8Array(pixels);
  let changed = 0;
  for (let i = 0; i < pixels; i++) {
    if (a[i * 3] !== b[i * 3] || a[i * 3 + 1] !== b[i * 3 + 1] || a[i * 3 + 2] !== b[i * 3 + 2]) {
      mask[i] = 255;
      changed++;
    }
  }
  return { mask, changed };
}

export interface SynthSummary {
  readonly classes: readonly { readonly name: string; readonly defects: readonly SynthDefect[] }[];
  readonly files: number;
}

/**
 * Generates a dataset in MVTec AD's layout under `out` (which must not exist yet):
 * <class>/train/good, <class>/test/good, <class>/test/<defect>, <class>/ground_truth/<defect>/<n>_mask.png.
 * Everything is written into a temporary folder beside `out` and renamed at the end, so `out`
 * appears complete or not at all. The same options give the same bytes.
 */
export async function synthesizeDataset(out: string, options: SynthOptions = {}): Promise<SynthSummary> {
  const parsed = synthOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AaclipError(issue.message, `synth option "${issue.path.join('.') || '?'}"`);
  }
  const { classes: count, images, seed, size } = parsed.data;
  const target = path.resolve(out);
  if (await stat(target).catch(() => null)) throw new AaclipError('already exists; synth writes a new folder', target);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const plan = planSynthClasses(count, seed);
  let files = 0;
  const put = async (relative: string, png: Buffer): Promise<void> => {
    const file = path.join(temp, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, png);
    files++;
  };
  const name = (i: number): string => String(i).padStart(3, '0');
  try {
    await mkdir(temp, { recursive: true });
    for (const cls of plan) {
      const folders: readonly ['train' | 'test', 'good' | SynthDefect][] = [
        ['train', 'good'],
        ['test', 'good'],
        ...cls.kind.defects.map((d) => ['test', d] as ['test', SynthDefect]),
      ];
      for (const [split, folder] of folders) {
        for (let i = 0; i < images; i++) {
          const picture = renderSynthPicture(cls, split, folder, i, seed, size);
          await put(path.join(cls.name, split, folder, `${name(i)}.png`), await encodePng(picture.image, size, size, 3));
          if (picture.mask) {
            await put(path.join(cls.name, 'ground_truth', folder, `${name(i)}_mask.png`), await encodePng(picture.mask, size, size, 1));
          }
        }
      }
    }
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
  return { classes: plan.map((c) => ({ name: c.name, defects: c.kind.defects })), files };
}
