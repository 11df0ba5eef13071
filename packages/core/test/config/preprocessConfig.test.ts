// Each preprocess_cfg option changes preprocessing as PreprocessConfig documents, or is refused by
// name. Golden: fixtures/pil-resize.safetensors, Pillow's resize with open_clip's resize-mode
// geometry (made by make_pil_resize.py), compared byte for byte.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseModelConfig, preprocessImage, type PreprocessConfig, type RawImage } from '@aaclip/core';
import { readSafetensors } from '../../src/weights/safetensors.js';
import { fitToSquare, longestSideSize, roundHalfEven, shortestSideSize } from '../../src/preprocess/fitToSquare.js';
import { normalizeToChw } from '../../src/preprocess/normalizeToChw.js';
import { fixtureFile } from '../../../../test-support/fixture.js';
import type { Rgb8Image } from '../../src/preprocess/rgb8Image.js';

const fixture = readSafetensors(
  new Uint8Array(readFileSync(fileURLToPath(new URL('../preprocess/fixtures/pil-resize.safetensors', import.meta.url)))),
  'pil-resize.safetensors',
);
const SIZE = Number(fixture.metadata?.['size']);
const FILL = Number(fixture.metadata?.['fill']);
const SHAPES = ['37x23', '20x31', '16x16', '9x12'];
const bytes = (name: string): Uint8Array => {
  const t = fixture.tensors.get(name);
  if (!t) throw new Error(`pil-resize.safetensors has no ${name}`);
  return t.data as Uint8Array;
};
const input = (shape: string): Rgb8Image => {
  const [width, height] = shape.split('x').map(Number) as [number, number];
  return { width, height, data: bytes(`input_${shape}`) };
};
const raw = (rgb: Rgb8Image): RawImage => ({ width: rgb.width, height: rgb.height, channels: 3, bitDepth: 8, data: rgb.data });

/** The HF form of the fixture's config with `preprocess_cfg` patched. */
const configWith = (preprocess: Record<string, unknown>): PreprocessConfig =>
  parseModelConfig(
    { model_cfg: (JSON.parse(readFileSync(fixtureFile('open_clip_config.json'), 'utf8')) as { model_cfg: unknown }).model_cfg, preprocess_cfg: preprocess },
    'cfg.json',
  ).preprocess;

/** preprocessImage driven by a parsed config, as the detector drives it. */
const preprocessWith = (cfg: PreprocessConfig, image: RawImage): Float32Array =>
  preprocessImage(image, SIZE, {
    mean: cfg.mean,
    std: cfg.std,
    interpolation: cfg.interpolation,
    resizeMode: cfg.resize_mode,
    ...(cfg.fill_color !== undefined ? { fillColor: cfg.fill_color } : {}),
  });

describe('resize modes × interpolations against Pillow', () => {
  for (const filter of ['bicubic', 'bilinear', 'nearest'] as const) {
    for (const mode of ['squash', 'shortest', 'longest'] as const) {
      it(`${filter}, ${mode}: every byte as Pillow gives it`, () => {
        for (const shape of SHAPES) {
          const out = fitToSquare(input(shape), SIZE, { mode, filter, fill: FILL });
          expect([out.width, out.height]).toEqual([SIZE, SIZE]);
          expect(Buffer.from(out.data).equals(Buffer.from(bytes(`${filter}_${mode}_${shape}`))), `${shape}`).toBe(true);
        }
      });
    }
  }

  it('each option read from a config changes the tensor as documented', () => {
    const image = raw(input('37x23'));
    const defaults = configWith({});
    const expected = (name: string, mean: readonly number[] = defaults.mean, std: readonly number[] = defaults.std): Float32Array =>
      normalizeToChw({ width: SIZE, height: SIZE, data: bytes(name) }, mean, std);
    expect(preprocessWith(defaults, image)).toEqual(expected('bicubic_squash_37x23'));
    expect(preprocessWith(configWith({ interpolation: 'bilinear' }), image)).toEqual(expected('bilinear_squash_37x23'));
    expect(preprocessWith(configWith({ interpolation: 'nearest' }), image)).toEqual(expected('nearest_squash_37x23'));
    expect(preprocessWith(configWith({ resize_mode: 'shortest' }), image)).toEqual(expected('bicubic_shortest_37x23'));
    expect(preprocessWith(configWith({ resize_mode: 'longest', fill_color: FILL }), image)).toEqual(expected('bicubic_longest_37x23'));
    // fill_color shows in the padding: 37×23 → 16×10, three rows of padding above.
    const black = preprocessWith(configWith({ resize_mode: 'longest' }), image);
    const grey = preprocessWith(configWith({ resize_mode: 'longest', fill_color: FILL }), image);
    expect(black[0]).not.toBe(grey[0]);
    expect(black[3 * SIZE]).toBe(grey[3 * SIZE]);
    const mean = [0.5, 0.5, 0.5];
    const std = [0.25, 0.5, 1];
    expect(preprocessWith(configWith({ mean, std }), image)).toEqual(expected('bicubic_squash_37x23', mean, std));
    // mode "RGB" and a square size are accepted and change nothing (the run size is the settings').
    expect(preprocessWith(configWith({ mode: 'RGB', size: 336 }), image)).toEqual(expected('bicubic_squash_37x23'));
    expect(preprocessWith(configWith({ size: [336, 336] }), image)).toEqual(expected('bicubic_squash_37x23'));
  });
});

describe('preprocess_cfg options that are not supported are refused by name', () => {
  it.each([
    [{ interpolation: 'lanczos' }, /^cfg\.json: preprocess_cfg\.interpolation: /],
    [{ resize_mode: 'crop' }, /^cfg\.json: preprocess_cfg\.resize_mode: /],
    [{ mode: 'L' }, /^cfg\.json: preprocess_cfg\.mode: "L" is not supported \(only "RGB"\)/],
    [{ size: [336, 224] }, /^cfg\.json: preprocess_cfg\.size: only square inputs are supported/],
    [{ fill_color: 300 }, /^cfg\.json: preprocess_cfg\.fill_color: /],
    [{ antialias: false }, /^cfg\.json: preprocess_cfg: .*antialias/],
  ])('%j', (preprocess, message) => {
    expect(() => configWith(preprocess)).toThrow(message);
  });
});

describe('resize geometry', () => {
  it('rounds halves to even as Python does', () => {
    expect([0.5, 1.5, 2.5, 3.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 4, 2, 3]);
  });
  it('shortest side: short → S, long → int(S·long/short); longest side: long → S', () => {
    expect(shortestSideSize(37, 23, 16)).toEqual([25, 16]);
    expect(shortestSideSize(20, 31, 16)).toEqual([16, 24]);
    expect(longestSideSize(37, 23, 16)).toEqual([16, 10]);
    expect(longestSideSize(9, 12, 16)).toEqual([12, 16]);
  });
});
