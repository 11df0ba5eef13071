import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtureFile } from '../../../../test-support/fixture.js';
import {
  blurForDomain,
  checkSettingsForModel,
  defaultAaclipSettings,
  parseAaclipSettings,
  parseImageSize,
  settingsBlur,
} from '../../src/config/aaclipSettings.js';
import { MAX_IMAGE_SIZE } from '../../src/config/sizeLimits.js';
import { AaclipError } from '../../src/errors/aaclipError.js';
import { parseModelConfig } from '../../src/config/modelConfig.js';

interface FixtureRun {
  levels: number[];
  image_adapt_until: number;
  text_adapt_until: number;
  image_adapt_weight: number;
  text_adapt_weight: number;
  image_size: number;
  model: unknown;
}
const run = JSON.parse(readFileSync(fixtureFile('config.json'), 'utf8')) as FixtureRun;

describe('AaclipSettings', () => {
  it("defaults to the paper's values, which are also what the fixture ran", () => {
    const s = defaultAaclipSettings();
    expect(s.levels).toEqual(run.levels);
    expect(s.imageAdaptUntil).toBe(run.image_adapt_until);
    expect(s.textAdaptUntil).toBe(run.text_adapt_until);
    expect(s.imageResidualWeight).toBe(run.image_adapt_weight);
    expect(s.textResidualWeight).toBe(run.text_adapt_weight);
    expect(s.adapterLeakySlope).toBe(0.01);
    expect(s.imageSize).toBe(518);
    expect(s.domain).toBe('industrial');
    expect(s.similarityScale).toBe(100);
    expect(settingsBlur(s)).toEqual({ kernelSize: 7, sigma: 1 });
    expect(blurForDomain('medical')).toEqual({ kernelSize: 9, sigma: 1.5 });
  });

  it('takes partial overrides and keeps the other defaults', () => {
    const s = parseAaclipSettings({ domain: 'medical', imageSize: run.image_size }, 'settings.json');
    expect(settingsBlur(s)).toEqual({ kernelSize: 9, sigma: 1.5 });
    expect(s.imageSize).toBe(48);
    expect(s.levels).toEqual([6, 12, 18, 24]);
    const custom = parseAaclipSettings({ blur: { industrial: { kernelSize: 5, sigma: 0.8 } } }, 'settings.json');
    expect(settingsBlur(custom)).toEqual({ kernelSize: 5, sigma: 0.8 });
    expect(custom.blur.medical).toEqual({ kernelSize: 9, sigma: 1.5 });
  });

  it('names the bad field', () => {
    expect(() => parseAaclipSettings({ domain: 'aerial' }, 'settings.json')).toThrow(/^settings\.json: domain: /);
    expect(() => parseAaclipSettings({ levels: [12, 6] }, 's.json')).toThrow(/s\.json: levels: levels must be strictly increasing/);
    expect(() => parseAaclipSettings({ blur: { medical: { kernelSize: 8, sigma: 1 } } }, 's.json')).toThrow(
      /s\.json: blur\.medical\.kernelSize: kernel size must be odd/,
    );
    expect(() => parseAaclipSettings({ imageResidualWeight: 1.5 }, 's.json')).toThrow(/s\.json: imageResidualWeight: /);
  });

  it('checks the settings against a model', () => {
    const { model } = parseModelConfig(run.model, 'config.json');
    expect(() => checkSettingsForModel(parseAaclipSettings({ imageSize: 48 }, 's'), model, 's')).not.toThrow();
    expect(() => checkSettingsForModel(defaultAaclipSettings(), model, 's')).toThrow(/s: imageSize: 518 is not a multiple of the patch size 8/);
    expect(() => checkSettingsForModel(parseAaclipSettings({ imageSize: 48, levels: [6, 30] }, 's'), model, 's')).toThrow(
      /block 30 is past the vision tower's 24 blocks/,
    );
    expect(() => checkSettingsForModel(parseAaclipSettings({ imageSize: 48, textAdaptUntil: 13 }, 's'), model, 's')).toThrow(
      /textAdaptUntil/,
    );
  });

  it('bounds the image size, naming where it came from (an image size of 100000 is refused before any buffer is sized)', () => {
    expect(() => parseImageSize(100_000, '--image-size')).toThrow(
      new AaclipError(`100000 is past the limit of ${MAX_IMAGE_SIZE} pixels`, '--image-size'),
    );
    expect(() => parseAaclipSettings({ imageSize: 100_000 }, 'settings')).toThrow(
      new AaclipError(`imageSize: 100000 is past the limit of ${MAX_IMAGE_SIZE} pixels`, 'settings'),
    );
    expect(parseImageSize(MAX_IMAGE_SIZE, '--image-size')).toBe(MAX_IMAGE_SIZE);
    expect(parseAaclipSettings({ imageSize: MAX_IMAGE_SIZE }, 's').imageSize).toBe(MAX_IMAGE_SIZE);
    expect(() => parseImageSize(0, '--image-size')).toThrow(/^--image-size: /);
  });
});
