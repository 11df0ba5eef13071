// Regression tests of issue 13's rows for `aaclip detect`: special files among the inputs or as
// the weights, an --out that would destroy inputs or fail late, long names, an image gone before
// its heatmap, an image named __metadata__, repeated inputs, and non-finite scores.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSafetensors, writeSafetensors, type TensorMap } from '@aaclip/core';
import { aaclip } from './runCli.js';
import { detectLimits } from '../src/commands/detect.js';
import { FIXTURE_MODEL_FLAGS, fixtureFile } from '../../../test-support/fixture.js';
import { readTensorFile } from '../../../test-support/fixtureLoader.js';

// A hook called after each image decode, so a test can remove an image between scoring and heatmap.
const decodeHook = vi.hoisted(() => ({ after: null as ((file: string) => Promise<void>) | null }));
vi.mock('@aaclip/backend-node', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@aaclip/backend-node')>();
  return {
    ...actual,
    decodeImageFile: async (file: string) => {
      const image = await actual.decodeImageFile(file);
      if (decodeHook.after) await decodeHook.after(file);
      return image;
    },
  };
});

const GOOD = fixtureFile('images/img2.png');
/** Every row must be handled well under the 10 s (the tiny model loads in about a second). */
const FAST_MS = 10_000;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-detect-hostile-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

let counter = 0;
const freshDir = (name: string): string => path.join(work, `${name}-${++counter}`);

interface Scores { image: string; image_score: number; pixel_max: number }
const readScores = async (out: string): Promise<Scores[]> => JSON.parse(await readFile(path.join(out, 'scores.json'), 'utf8')) as Scores[];
const readMaps = async (out: string): Promise<TensorMap> => {
  const file = path.join(out, 'maps.safetensors');
  return readTensorFile(file);
};

async function timed(...argv: string[]): Promise<Awaited<ReturnType<typeof aaclip>>> {
  const start = performance.now();
  const result = await aaclip(...argv);
  expect(performance.now() - start).toBeLessThan(FAST_MS);
  return result;
}

/** The failure lines after "aaclip detect: N of M images failed:". */
function failureLines(stderr: string): string[] {
  const lines = stderr.split('\n');
  const at = lines.findIndex((l) => / of \d+ images failed:$/.test(l));
  expect(at).toBeGreaterThanOrEqual(0);
  return lines.slice(at + 1);
}

describe('special files', () => {
  it.skipIf(process.platform === 'win32')('a FIFO among the images is listed at once and the other image is still scored', async () => {
    const dir = freshDir('fifo');
    await mkdir(dir);
    const fifo = path.join(dir, 'pipe.png');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch (err) {
      console.log(`skipped: mkfifo is unavailable (${(err as Error).message.split('\n')[0]})`);
      return;
    }
    const out = freshDir('fifo-out');
    const r = await timed('detect', ...FIXTURE_MODEL_FLAGS, '--out', out, fifo, GOOD);
    expect(r.code).toBe(1);
    const failed = failureLines(r.stderr);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toContain(fifo);
    expect(failed[0]).toContain('FIFO');
    expect((await readScores(out)).map((s) => s.image)).toEqual([GOOD]);
  });

  it.skipIf(!existsSync('/dev/zero'))('/dev/zero as an image is listed by name, the other image is still scored', async () => {
    const out = freshDir('zero-image');
    const before = process.memoryUsage().rss;
    const r = await timed('detect', ...FIXTURE_MODEL_FLAGS, '--out', out, '/dev/zero', GOOD);
    expect(process.memoryUsage().rss - before).toBeLessThan(500 * 1024 * 1024);
    expect(r.code).toBe(1);
    const failed = failureLines(r.stderr);
    expect(failed).toEqual([expect.stringContaining('/dev/zero: is a character device')]);
    expect((await readScores(out)).map((s) => s.image)).toEqual([GOOD]);
  });

  it.skipIf(!existsSync('/dev/zero'))('/dev/zero as --weights is refused at once in one line naming it, and nothing is written', async () => {
    const out = freshDir('zero-weights');
    const flags = [...FIXTURE_MODEL_FLAGS];
    flags[flags.indexOf('--weights') + 1] = '/dev/zero';
    const r = await timed('detect', ...flags, '--out', out, GOOD);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')).toEqual([expect.stringContaining('/dev/zero: is a character device')]);
    expect(existsSync(out)).toBe(false);
  });
});

describe('--out', () => {
  async function expectOutRefused(out: string, images: string[], ...mention: string[]): Promise<void> {
    // Missing weights: were --out not checked first, the error would name them instead.
    const flags = [...FIXTURE_MODEL_FLAGS];
    flags[flags.indexOf('--weights') + 1] = path.join(work, 'no-such-weights.safetensors');
    const r = await timed('detect', ...flags, '--out', out, ...images);
    expect(r.code).toBe(1);
    const lines = r.stderr.split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^aaclip detect: --out: /);
    for (const m of mention) expect(lines[0]).toContain(m);
  }

  it('equal to the images\' folder is refused before any work, naming --out, and the inputs are untouched', async () => {
    const dir = freshDir('inputs');
    await mkdir(dir);
    const image = path.join(dir, 'img2.png');
    await copyFile(GOOD, image);
    const bytes = await readFile(image);
    await expectOutRefused(dir, [image], dir, image);
    // The same folder spelled differently (relative, trailing slash) is the same folder.
    await expectOutRefused(`${path.relative(process.cwd(), dir)}/`, [image], image);
    expect(await readdir(dir)).toEqual(['img2.png']);
    expect(Buffer.compare(await readFile(image), bytes)).toBe(0);
  });

  it('holding the file an input links to is refused (its heatmap would replace the real image)', async () => {
    const out = freshDir('link-target');
    await mkdir(out);
    const real = path.join(out, 'real.png');
    await copyFile(GOOD, real);
    const elsewhere = freshDir('links');
    await mkdir(elsewhere);
    const link = path.join(elsewhere, 'real.png');
    await symlink(real, link);
    await expectOutRefused(out, [link], link);
    expect(await readdir(out)).toEqual(['real.png']);
  });

  it('that is a file is refused before scoring, naming --out', async () => {
    const file = path.join(work, 'a-file');
    await writeFile(file, 'not a folder');
    await expectOutRefused(file, [GOOD], 'is a file');
    await expectOutRefused(path.join(file, 'sub'), [GOOD], 'is a file');
    expect(await readFile(file, 'utf8')).toBe('not a folder');
  });

  it('that cannot be written is refused before scoring, naming --out', async () => {
    let out: string;
    if (process.getuid?.() === 0) {
      // root writes through permission bits; sysfs refuses new entries even to root.
      if (process.platform !== 'linux' || !existsSync('/sys/kernel')) {
        console.log('skipped: running as root without /sys, no unwritable folder to try');
        return;
      }
      out = '/sys/aaclip-detect-out';
    } else {
      const locked = freshDir('locked');
      await mkdir(locked);
      await chmod(locked, 0o500);
      out = path.join(locked, 'out');
    }
    await expectOutRefused(out, [GOOD], out, 'cannot be created');
  });
});

describe('names', () => {
  it('an image with a legal 245-character name still gets scores.json, maps.safetensors and its heatmap', async () => {
    const dir = freshDir('long');
    await mkdir(dir);
    const long = path.join(dir, `${'l'.repeat(241)}.png`);
    const noExtension = path.join(dir, 'e'.repeat(255)); // its heatmap name must be cut to fit
    await copyFile(GOOD, long);
    await copyFile(GOOD, noExtension);
    const out = freshDir('long-out');
    const r = await timed('detect', ...FIXTURE_MODEL_FLAGS, '--out', out, long, GOOD, noExtension);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await readScores(out)).map((s) => s.image)).toEqual([long, GOOD, noExtension]);
    expect([...(await readMaps(out)).keys()]).toEqual([long, GOOD, noExtension]);
    const written = await readdir(out);
    expect(written).toContain(`${'l'.repeat(241)}.png`);
    expect(written).toHaveLength(5);
    for (const name of written) expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
  });

  it('an image named __metadata__ keeps maps.safetensors readable, its map keyed ./__metadata__', async () => {
    const dir = freshDir('meta');
    await mkdir(dir);
    await copyFile(GOOD, path.join(dir, '__metadata__'));
    const out = freshDir('meta-out');
    const cwd = process.cwd();
    process.chdir(dir);
    let r: Awaited<ReturnType<typeof aaclip>>;
    try {
      r = await timed('detect', ...FIXTURE_MODEL_FLAGS, '--class-name', 'bottle', '--out', out, '__metadata__', GOOD);
    } finally {
      process.chdir(cwd);
    }
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const file = path.join(out, 'maps.safetensors');
    const maps = readSafetensors(new Uint8Array(await readFile(file)), file);
    expect([...maps.tensors.keys()]).toEqual(['./__metadata__', GOOD]);
    expect(maps.metadata).toMatchObject({ format: 'aaclip-anomaly-maps', class_name: 'bottle' });
    expect((await readScores(out)).map((s) => s.image)).toEqual(['__metadata__', GOOD]);
  });

  it('the same image given twice (also spelled differently) gives one result', async () => {
    const out = freshDir('twice-out');
    const again = path.relative(process.cwd(), GOOD);
    const r = await timed('detect', ...FIXTURE_MODEL_FLAGS, '--out', out, GOOD, GOOD, again);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('given more than once');
    expect((await readScores(out)).map((s) => s.image)).toEqual([GOOD]);
    expect([...(await readMaps(out)).keys()]).toEqual([GOOD]);
    expect((await readdir(out)).sort()).toEqual(['img2.png', 'maps.safetensors', 'scores.json']);
  });
});

describe('failures after scoring', () => {
  it('past the kept-pixel budget, an image removed between scoring and its heatmap is listed; scores, maps and the other heatmaps are written', async () => {
    const dir = freshDir('vanishing');
    await mkdir(dir);
    const doomed = path.join(dir, 'doomed.png');
    await copyFile(GOOD, doomed);
    const out = freshDir('vanishing-out');
    decodeHook.after = async (file) => {
      if (file === doomed) await unlink(doomed);
    };
    // With no pixels kept, every heatmap decodes its image again: the doomed one is gone by then.
    const budget = detectLimits.keptPixelBytes;
    detectLimits.keptPixelBytes = 0;
    let r: Awaited<ReturnType<typeof aaclip>>;
    try {
      r = await timed('detect', ...FIXTURE_MODEL_FLAGS, '--out', out, doomed, GOOD);
    } finally {
      decodeHook.after = null;
      detectLimits.keptPixelBytes = budget;
    }
    expect(r.code).toBe(1);
    const failed = failureLines(r.stderr);
    expect(failed).toEqual([expect.stringContaining(doomed)]);
    expect(failed[0]).toContain('heatmap not written');
    expect((await readScores(out)).map((s) => s.image)).toEqual([doomed, GOOD]);
    expect([...(await readMaps(out)).keys()]).toEqual([doomed, GOOD]);
    expect((await readdir(out)).sort()).toEqual(['img2.png', 'maps.safetensors', 'scores.json']);
  });

  it('a heatmap that cannot be written (its name taken by a folder) is listed; scores, maps and the other heatmaps are written', async () => {
    const dir = freshDir('blocked');
    await mkdir(dir);
    const blocked = path.join(dir, 'blocked.png');
    await copyFile(GOOD, blocked);
    const out = freshDir('blocked-out');
    await mkdir(path.join(out, 'blocked.png'), { recursive: true });
    const r = await timed('detect', ...FIXTURE_MODEL_FLAGS, '--out', out, blocked, GOOD);
    expect(r.code).toBe(1);
    const failed = failureLines(r.stderr);
    expect(failed).toEqual([expect.stringContaining(blocked)]);
    expect(failed[0]).toContain('heatmap not written');
    expect((await readScores(out)).map((s) => s.image)).toEqual([blocked, GOOD]);
    expect([...(await readMaps(out)).keys()]).toEqual([blocked, GOOD]);
    expect((await readdir(out)).sort()).toEqual(['blocked.png', 'img2.png', 'maps.safetensors', 'scores.json']);
  });

  it('weights that make the score non-finite: the image is listed, no NaN is written, exit 1', async () => {
    // Finite weights that overflow float32 in the patch embedding: inf − inf in the first layer norm gives NaN.
    const file = fixtureFile('clip.safetensors');
    const weights = readTensorFile(file);
    const conv = weights.get('visual.conv1.weight')!;
    const huge = Float32Array.from(conv.data as Float32Array, (v) => (v >= 0 ? 3e38 : -3e38));
    weights.set('visual.conv1.weight', { ...conv, data: huge });
    const overflowing = path.join(work, 'overflowing.safetensors');
    await writeFile(overflowing, writeSafetensors(weights));
    const flags = [...FIXTURE_MODEL_FLAGS];
    flags[flags.indexOf('--weights') + 1] = overflowing;
    const out = freshDir('nan-out');
    const r = await timed('detect', ...flags, '--out', out, GOOD);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('NaN');
    expect(failureLines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`${GOOD.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*non-finite`))]);
    expect(existsSync(path.join(out, 'scores.json'))).toBe(false);
  });

  it('one NaN in a weight never gives exit 0', async () => {
    const file = fixtureFile('clip.safetensors');
    const weights = readTensorFile(file);
    const conv = weights.get('visual.conv1.weight')!;
    const data = Float32Array.from(conv.data as Float32Array);
    data[0] = NaN;
    weights.set('visual.conv1.weight', { ...conv, data });
    const poisoned = path.join(work, 'nan.safetensors');
    await writeFile(poisoned, writeSafetensors(weights));
    const flags = [...FIXTURE_MODEL_FLAGS];
    flags[flags.indexOf('--weights') + 1] = poisoned;
    const out = freshDir('nan-weight-out');
    const r = await timed('detect', ...flags, '--out', out, GOOD);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('NaN');
    // Refused at load (naming the file) or listed as a non-finite result — never a NaN score.
    expect(r.stderr).toMatch(/nan\.safetensors|non-finite/);
    if (existsSync(path.join(out, 'scores.json'))) expect(await readFile(path.join(out, 'scores.json'), 'utf8')).not.toMatch(/null|NaN/);
  });
});
