// `aaclip detect` inputs and runs: folders (recursive) and patterns, each image decoded once, and
// --batch-size putting several images through the vision model in one run.
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerBackend, unregisterBackend, type Backend, type BackendSession, type SessionOptions, type TensorMap } from '@aaclip/core';
import { createNodeBackend } from '@aaclip/backend-node';
import { aaclip } from './runCli.js';
import { parseGlob } from '../src/input/globPattern.js';
import { expandImageInputs } from '../src/input/expandImageInputs.js';
import { FIXTURE_MODEL_FLAGS, fixtureFile } from '../../../test-support/fixture.js';
import { readTensorFile } from '../../../test-support/fixtureLoader.js';
import { maxAbsError } from '@aaclip/core/testing';

// Every decode is counted by file, so a test can tell how often each image was read.
const decodes = vi.hoisted(() => new Map<string, number>());
vi.mock('@aaclip/backend-node', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@aaclip/backend-node')>();
  return {
    ...actual,
    decodeImageFile: async (file: string) => {
      decodes.set(file, (decodes.get(file) ?? 0) + 1);
      return actual.decodeImageFile(file);
    },
  };
});

const IMAGES = ['img0.png', 'img1.png', 'img2.png'].map((f) => fixtureFile(`images/${f}`));

/**
 * The node backend, recording the batch size of every vision-model run (the runs fed
 * pixel_values). Sessions loaded from the disk cache (createSessionFromFile, a warm start) are
 * counted as well as freshly built ones.
 */
const visionRuns: number[] = [];
function countingSession(session: BackendSession): BackendSession {
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    dispose: () => session.dispose(),
    run(feeds) {
      const pixels = feeds['pixel_values'];
      if (pixels) visionRuns.push(pixels.shape[0]!);
      return session.run(feeds);
    },
  };
}
function countingBackend(): Backend {
  const inner = createNodeBackend();
  const fromFile = inner.createSessionFromFile?.bind(inner);
  return {
    ...inner,
    name: 'counting',
    createSession: async (model, options) => countingSession(await inner.createSession(model, options)),
    ...(fromFile ? { createSessionFromFile: async (file: string, options: SessionOptions) => countingSession(await fromFile(file, options)) } : {}),
  };
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-detect-inputs-'));
  registerBackend('counting', countingBackend, -1);
});
afterAll(async () => {
  unregisterBackend('counting');
  await rm(work, { recursive: true, force: true });
});
beforeEach(() => {
  decodes.clear();
  visionRuns.length = 0;
});

let counter = 0;
const freshDir = async (name: string): Promise<string> => {
  const dir = path.join(work, `${name}-${++counter}`);
  await mkdir(dir, { recursive: true });
  return dir;
};

interface Scores { image: string; image_score: number; pixel_max: number }
const readScores = async (out: string): Promise<Scores[]> => JSON.parse(await readFile(path.join(out, 'scores.json'), 'utf8')) as Scores[];
const readMaps = async (out: string): Promise<TensorMap> => {
  const file = path.join(out, 'maps.safetensors');
  return readTensorFile(file);
};

/** A folder tree: a/10.png, a/2.png, a/b/c.jpg (copies of the fixture images), plus non-images and hidden entries. */
async function imageTree(): Promise<string> {
  const root = await freshDir('tree');
  await mkdir(path.join(root, 'a', 'b'), { recursive: true });
  await mkdir(path.join(root, 'a', '.hidden'));
  await copyFile(IMAGES[0]!, path.join(root, 'a', '10.png'));
  await copyFile(IMAGES[1]!, path.join(root, 'a', '2.png'));
  await copyFile(IMAGES[2]!, path.join(root, 'a', 'b', 'c.jpg'));
  await copyFile(IMAGES[2]!, path.join(root, 'a', '.hidden', 'h.png'));
  await copyFile(IMAGES[2]!, path.join(root, 'a', '.dot.png'));
  await writeFile(path.join(root, 'a', 'notes.txt'), 'not an image');
  return root;
}

describe('parseGlob', () => {
  it('splits the literal folder off and matches * ? [set] [!set] within one name', () => {
    const g = parseGlob('data/set1/*_?.[pj][!x]g');
    expect(g.base).toBe(path.join('data', 'set1'));
    expect(g.maxDepth).toBe(0);
    expect(g.matches('a_1.png')).toBe(true);
    expect(g.matches('abc_z.jpg')).toBe(true);
    expect(g.matches('a_12.png')).toBe(false);
    expect(g.matches('a_1.pxg')).toBe(false);
    expect(g.matches('sub/a_1.png')).toBe(false);
  });

  it('** spans any number of folders, none included; regex characters in names are literal', () => {
    const g = parseGlob('**/test/(1)+.png');
    expect(g.base).toBe('.');
    expect(g.maxDepth).toBe(Infinity);
    expect(g.matches('test/(1)+.png')).toBe(true);
    expect(g.matches('x/y/test/(1)+.png')).toBe(true);
    expect(g.matches('x/test/11.png')).toBe(false);
    expect(parseGlob('/abs/*.png').base).toBe(path.sep === '/' ? '/abs' : '\\abs');
  });
});

describe('expandImageInputs', () => {
  it('a folder gives its image files at any depth in natural order, without hidden entries or other files', async () => {
    const root = await imageTree();
    const a = path.join(root, 'a');
    const r = await expandImageInputs([a, IMAGES[0]!]);
    expect(r.failures).toEqual([]);
    expect(r.images).toEqual([path.join(a, '2.png'), path.join(a, '10.png'), path.join(a, 'b', 'c.jpg'), IMAGES[0]]);
  });

  it('a pattern gives the image files it matches; ** reaches into sub-folders', async () => {
    const root = await imageTree();
    const a = path.join(root, 'a');
    expect((await expandImageInputs([`${a}/*.png`])).images).toEqual([path.join(a, '2.png'), path.join(a, '10.png')]);
    expect((await expandImageInputs([`${a}/**/*.jpg`])).images).toEqual([path.join(a, 'b', 'c.jpg')]);
    expect((await expandImageInputs([`${root}/*/?.png`])).images).toEqual([path.join(a, '2.png')]);
    expect((await expandImageInputs([`${a}/*`])).images).toEqual([path.join(a, '2.png'), path.join(a, '10.png')]);
  });

  it('a file whose name holds wildcard characters is taken as it is', async () => {
    const dir = await freshDir('literal');
    const odd = path.join(dir, 'shot[1]*.png');
    await copyFile(IMAGES[0]!, odd);
    expect(await expandImageInputs([odd])).toEqual({ images: [odd], failures: [] });
  });

  it('a folder or pattern with no images is a failure naming it; a missing plain path is kept for the reader to name', async () => {
    const empty = await freshDir('empty');
    await writeFile(path.join(empty, 'readme.txt'), '');
    const r = await expandImageInputs([empty, `${empty}/*.png`, path.join(empty, 'missing.png')]);
    expect(r.images).toEqual([path.join(empty, 'missing.png')]);
    expect(r.failures).toEqual([`${empty}: holds no image files (.png .jpg .jpeg .bmp .tif .tiff .webp), sub-folders included`, expect.stringMatching(/: no image file matches this pattern/)]);
  });

  it('leaves out the excluded folder (detect\'s --out inside the input folder)', async () => {
    const root = await imageTree();
    const out = path.join(root, 'a', 'results');
    await mkdir(out);
    await copyFile(IMAGES[0]!, path.join(out, '2.png')); // an earlier run's heatmap
    const r = await expandImageInputs([root], { exclude: out });
    expect(r.images).not.toContain(path.join(out, '2.png'));
    expect(r.images).toHaveLength(3);
  });

  it.skipIf(process.platform === 'win32')('follows links, enters a folder once even through a link loop, and lists a FIFO by name without opening it', async () => {
    const root = await imageTree();
    await symlink(root, path.join(root, 'a', 'b', 'loop'));
    await symlink(path.join(root, 'a', '2.png'), path.join(root, 'a', 'linked.png'));
    let fifo: string | null = path.join(root, 'a', 'pipe.png');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      fifo = null; // no mkfifo here: the rest still holds
    }
    const start = performance.now();
    const r = await expandImageInputs([root]);
    expect(performance.now() - start).toBeLessThan(5_000);
    const a = path.join(root, 'a');
    expect(r.images).toEqual([path.join(a, '2.png'), path.join(a, '10.png'), path.join(a, 'b', 'c.jpg'), path.join(a, 'linked.png')]);
    expect(r.failures).toEqual(fifo ? [`${fifo}: is a named pipe (FIFO), not a regular file; it is never read`] : []);
  });
});

describe('aaclip detect over folders and patterns', () => {
  it('scores a folder and a pattern, decoding each image exactly once, and writes every output', async () => {
    const root = await imageTree();
    const other = await freshDir('other');
    await copyFile(IMAGES[2]!, path.join(other, 'x.png'));
    const out = await freshDir('out');
    const r = await aaclip('detect', ...FIXTURE_MODEL_FLAGS, '--out', out, path.join(root, 'a'), `${other}/*.png`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const expected = [path.join(root, 'a', '2.png'), path.join(root, 'a', '10.png'), path.join(root, 'a', 'b', 'c.jpg'), path.join(other, 'x.png')];
    expect((await readScores(out)).map((s) => s.image)).toEqual(expected);
    expect([...(await readMaps(out)).keys()]).toEqual(expected);
    expect([...decodes.entries()]).toEqual(expected.map((file) => [file, 1]));
  });

  it('an input folder holding --out does not read the heatmaps of an earlier run back', async () => {
    const root = await imageTree();
    const out = path.join(root, 'results');
    const first = await aaclip('detect', ...FIXTURE_MODEL_FLAGS, '--out', out, root);
    expect(first.code).toBe(0);
    const second = await aaclip('detect', ...FIXTURE_MODEL_FLAGS, '--out', out, root);
    expect(second.code).toBe(0);
    const a = path.join(root, 'a');
    expect((await readScores(out)).map((s) => s.image)).toEqual([path.join(a, '2.png'), path.join(a, '10.png'), path.join(a, 'b', 'c.jpg')]);
  });

  it('an empty folder among the inputs is listed and the exit code is 1; with nothing else, no model is loaded', async () => {
    const empty = await freshDir('nothing');
    const out = await freshDir('empty-out');
    const flags = [...FIXTURE_MODEL_FLAGS];
    flags[flags.indexOf('--weights') + 1] = path.join(work, 'no-such-weights.safetensors');
    const alone = await aaclip('detect', ...flags, '--out', out, empty);
    expect(alone.code).toBe(1);
    expect(alone.stderr.split('\n')).toEqual(['aaclip detect: 1 of 1 images failed:', expect.stringContaining(`${empty}: holds no image files`)]);
    const mixed = await aaclip('detect', ...FIXTURE_MODEL_FLAGS, '--out', out, empty, IMAGES[0]!);
    expect(mixed.code).toBe(1);
    expect((await readScores(out)).map((s) => s.image)).toEqual([IMAGES[0]]);
  });
});

describe('--batch-size', () => {
  it('puts several images through the vision model in one run, with the maps of one image at a time', async () => {
    const single = await freshDir('batch-1');
    const batched = await freshDir('batch-2');
    const one = await aaclip('detect', ...FIXTURE_MODEL_FLAGS, '--backend', 'counting', '--batch-size', '1', '--out', single, ...IMAGES);
    expect(one.code).toBe(0);
    expect(visionRuns).toEqual([1, 1, 1]);
    visionRuns.length = 0;
    decodes.clear();
    const two = await aaclip('detect', ...FIXTURE_MODEL_FLAGS, '--backend', 'counting', '--batch-size', '2', '--out', batched, ...IMAGES);
    expect(two.stderr).toBe('');
    expect(two.code).toBe(0);
    expect(visionRuns).toEqual([2, 1]);
    expect([...decodes.values()]).toEqual([1, 1, 1]);
    const a = await readMaps(single);
    const b = await readMaps(batched);
    for (const image of IMAGES) {
      const x = a.get(image)!.data as Float32Array;
      const y = b.get(image)!.data as Float32Array;
      expect(maxAbsError(x, y)).toBeLessThan(1e-5);
    }
    const scoresA = await readScores(single);
    const scoresB = await readScores(batched);
    scoresA.forEach((s, i) => expect(scoresB[i]!.image_score).toBeCloseTo(s.image_score, 5));
  });

  it('a batch holding an unreadable image scores the others of the batch', async () => {
    const dir = await freshDir('bad-batch');
    const corrupt = path.join(dir, 'corrupt.png');
    await writeFile(corrupt, 'not a png');
    const out = await freshDir('bad-batch-out');
    const r = await aaclip('detect', ...FIXTURE_MODEL_FLAGS, '--backend', 'counting', '--batch-size', '3', '--out', out, IMAGES[0]!, corrupt, IMAGES[1]!);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${corrupt}:`);
    expect(visionRuns).toEqual([2]);
    expect((await readScores(out)).map((s) => s.image)).toEqual([IMAGES[0], IMAGES[1]]);
  });
});
