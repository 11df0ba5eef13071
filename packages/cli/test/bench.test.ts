// aaclip bench on the tiny fixture: every figure is printed (no timing is asserted: they depend
// on the machine), the warm start comes from the cache without reading the weights, and bad
// flags are refused by name.
import { describe, expect, it } from 'vitest';
import { aaclip } from './runCli.js';
import { FIXTURE_MODEL_FLAGS, vocabPath } from '../../../test-support/fixture.js';

const model = FIXTURE_MODEL_FLAGS;

const positive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;

describe('aaclip bench', () => {
  it('prints images per second, stage times, cold and warm start-up, memory and the GEMM rate as JSON', async () => {
    const { code, stdout, stderr } = await aaclip('bench', ...model, '--images', '2', '--batch', '2', '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(r.imageSize).toBe(48);
    expect(r.batch).toBe(2);
    expect(r.adapters).toBe(true);
    for (const v of [r.imagesPerSecond, r.secondsPerImage, r.msPerImage.vision, r.msPerImage.decode, r.msPerImage.preprocess, r.msPerImage.scoring]) expect(positive(v)).toBe(true);
    expect(positive(r.startup.cold.seconds) && positive(r.startup.warm.seconds)).toBe(true);
    expect(r.startup.cold.cache).toMatchObject({ vision: 'built', weightsRead: true, anchorsComputed: 1 });
    expect(r.startup.warm.cache).toEqual({ vision: 'hit', text: 'unused', anchorsFromCache: 1, anchorsComputed: 0, weightsRead: false });
    expect(positive(r.memory.peakRssMiB)).toBe(true);
    expect(r.gemm.shape).toEqual([37, 64, 256]); // the fixture's vision MLP at 48: (48/8)² + 1 tokens, width 64
    expect(positive(r.gemm.gflops) && positive(r.visionPass.gflop) && positive(r.visionPass.fractionOfGemm)).toBe(true);
  });

  it('prints the same figures as text', async () => {
    const { code, stdout } = await aaclip('bench', ...model, '--images', '1', '--no-cache');
    expect(code).toBe(0);
    for (const label of ['throughput', 'ms per image', 'start-up cold', 'memory', 'GEMM', 'vision pass']) expect(stdout).toContain(label);
    expect(stdout).not.toContain('start-up warm'); // --no-cache: no warm start
  });

  it('refuses an unknown random model and --random without a vocabulary', async () => {
    expect((await aaclip('bench', '--random', 'vit-h-99', '--vocab', vocabPath)).stderr).toContain('--random: unknown random model "vit-h-99"');
    expect((await aaclip('bench', '--random', 'vit-l-14-336')).stderr).toContain('--vocab: is required with --random');
    expect((await aaclip('bench', ...model, '--batch', '2', '--batch-size', '2')).stderr).toContain('--batch: give --batch or --batch-size, not both');
  });
});
