// Issue 13's dataset rows: special files inside class folders, list files naming paths outside
// the root, and masks that mark nothing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowPathsOutsideRoot, checkDataset, datasetTakesOption, loadDataset, scanDataset } from '../src/index.js';
import { makeWorkDir, writeImage, writeImages, writeText } from './tinyTree.js';

let work: string;
/** Why no FIFO could be made here (then the FIFO tests are skipped, saying so), or null. */
let fifoUnavailable: string | null = null;

function makeFifo(file: string): void {
  try {
    execFileSync('mkfifo', [file], { stdio: 'pipe' });
  } catch (err) {
    fifoUnavailable ??= `mkfifo failed (${(err as Error).message.split('\n')[0]})`;
  }
}

beforeAll(async () => {
  work = await makeWorkDir('hostile');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Races a promise against a deadline, so that a read that hangs on a FIFO fails the test instead. */
async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms (hung on a special file?)`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

describe('special files inside class folders', () => {
  let root: string;
  beforeAll(async () => {
    root = path.join(work, 'special');
    await writeImages(root, ['bottle/train/good/000.png', 'bottle/test/good/000.png', 'bottle/test/crack/000.png', 'bottle/ground_truth/crack/000_mask.png']);
    makeFifo(path.join(root, 'bottle/test/good/001.png'));
    makeFifo(path.join(root, 'bottle/ground_truth/crack/pipe_mask.png'));
  });

  it('are listed by check as problems and make loading fail naming one, without reading them', async (ctx) => {
    if (fifoUnavailable) {
      console.warn(`skipped: ${fifoUnavailable}`);
      ctx.skip(fifoUnavailable);
    }
    const report = await within(10_000, checkDataset('mvtec', root));
    const special = report.problems.filter((p) => p.kind === 'special-file').map((p) => [path.relative(root, p.file), p.problem]);
    expect(special).toEqual([
      ['bottle/test/good/001.png', 'a named pipe (FIFO), not a regular file; it is never read'],
      ['bottle/ground_truth/crack/pipe_mask.png', 'a named pipe (FIFO), not a regular file; it is never read'],
    ]);
    expect(report.problems).toHaveLength(2);
    expect(report.dataset.samples.map((s) => path.relative(root, s.imagePath))).not.toContain('bottle/test/good/001.png');
    await expect(within(10_000, loadDataset('mvtec', root))).rejects.toThrow(/bottle\/test\/good\/001\.png: a named pipe \(FIFO\), not a regular file; it is never read \(and 1 more problem;/);
  });

  it('are listed once when the class folder itself is the root', async (ctx) => {
    if (fifoUnavailable) ctx.skip(fifoUnavailable);
    makeFifo(path.join(root, 'bottle/stray-pipe'));
    const { problems } = await within(10_000, scanDataset('mvtec', path.join(root, 'bottle')));
    expect(problems.filter((p) => p.file.endsWith('stray-pipe'))).toHaveLength(1);
    await rm(path.join(root, 'bottle/stray-pipe'));
  });

  it('include links to devices', async (ctx) => {
    if (!existsSync('/dev/null')) ctx.skip('no /dev/null here');
    const dir = path.join(work, 'device');
    await writeImages(dir, ['normal/000.png', 'abnormal/000.png', 'mask/000.png']);
    await symlink('/dev/null', path.join(dir, 'normal/001.png'));
    const { problems } = await within(10_000, scanDataset('folder', dir));
    expect(problems.map((p) => [p.kind, path.relative(dir, p.file), p.problem])).toEqual([
      ['special-file', 'normal/001.png', 'a link to a character device, not a regular file; it is never read'],
    ]);
  });
});

describe('list files naming paths outside the root', () => {
  let root: string;
  let outsideImage: string;
  const line = (o: Record<string, unknown>): string => JSON.stringify(o);

  beforeAll(async () => {
    root = path.join(work, 'listed', 'data');
    await writeImages(root, ['a/000.png', 'a/001.png', 'a/001_mask.png']);
    outsideImage = path.join(work, 'listed', 'secret.png');
    await writeImage(outsideImage);
  });

  it('refuses ../ and absolute paths in a JSONL manifest unless allowOutsideRoot, naming the line', async () => {
    const manifest = path.join(root, 'meta.jsonl');
    await writeText(manifest, [
      line({ image_path: 'a/000.png', label: 0, class_name: 'a', mask_path: '' }),
      line({ image_path: '../secret.png', label: 0, class_name: 'a', mask_path: '' }),
      line({ image_path: outsideImage, label: 0, class_name: 'a', mask_path: null }),
      line({ image_path: 'a/001.png', label: 1, class_name: 'a', mask_path: '../../listed/secret.png' }),
      line({ image_path: 'a/../a/001.png', label: 1, class_name: 'a', mask_path: 'a/001_mask.png' }),
    ].join('\n'));
    const { dataset, problems } = await scanDataset('jsonl', root, { manifest });
    expect(problems.map((p) => [p.kind, p.file])).toEqual([
      ['path-outside-root', `${manifest}:2`],
      ['path-outside-root', `${manifest}:3`],
      ['path-outside-root', `${manifest}:4`],
    ]);
    expect(problems[0]!.problem).toBe(`image_path "../secret.png" is outside the dataset root ${root} (allow it with the option allowOutsideRoot, --allow-outside-root on the command line)`);
    expect(problems[2]!.problem).toMatch(/^mask_path "\.\.\/\.\.\/listed\/secret\.png" is outside/);
    // Refused lines are not read at all: only the two inside the root became samples.
    expect(dataset.samples.map((s) => path.relative(root, s.imagePath))).toEqual(['a/000.png', 'a/001.png']);
    await expect(loadDataset('jsonl', root, { manifest })).rejects.toThrow(/meta\.jsonl:2: image_path "\.\.\/secret\.png" is outside the dataset root .* \(and 2 more problems/);

    const allowed = await loadDataset('jsonl', root, { manifest, allowOutsideRoot: true });
    expect(allowed.samples.map((s) => s.imagePath)).toEqual([
      path.join(root, 'a/000.png'), outsideImage, outsideImage, path.join(root, 'a/001.png'), path.join(root, 'a/001.png'),
    ]);
    expect(allowed.samples[3]!.maskPath).toBe(outsideImage);
  });

  it('refuses them in a VisA split CSV too', async () => {
    const csv = path.join(root, 'split.csv');
    await writeText(csv, ['object,split,label,image,mask', 'a,test,normal,a/000.png,', `a,test,normal,${outsideImage},`].join('\n'));
    const { problems } = await scanDataset('visa', root, { csv });
    expect(problems.map((p) => [p.kind, p.file])).toEqual([['path-outside-root', `${csv}:3`]]);
    expect((await loadDataset('visa', root, { csv, allowOutsideRoot: true })).samples).toHaveLength(2);
  });

  it('sets the option from a flag only for kinds that read list files', () => {
    expect(datasetTakesOption('jsonl', 'allowOutsideRoot')).toBe(true);
    expect(datasetTakesOption('visa', 'allowOutsideRoot')).toBe(true);
    expect(datasetTakesOption('mvtec', 'allowOutsideRoot')).toBe(false);
    expect(allowPathsOutsideRoot('manifest', { manifest: 'm.jsonl' }, '--allow-outside-root')).toEqual({ manifest: 'm.jsonl', allowOutsideRoot: true });
    expect(() => allowPathsOutsideRoot('mvtec', {}, '--allow-outside-root')).toThrow(/^--allow-outside-root: the "mvtec" kind reads no list of paths/);
  });

  it('refuses a manifest that is a FIFO instead of waiting for a writer', async (ctx) => {
    const manifest = path.join(work, 'listed', 'pipe.jsonl');
    makeFifo(manifest);
    if (fifoUnavailable) ctx.skip(fifoUnavailable);
    const { problems } = await within(10_000, scanDataset('jsonl', root, { manifest }));
    expect(problems.map((p) => [p.kind, p.file, p.problem])).toEqual([['missing-file', manifest, 'cannot read the manifest (not a regular file)']]);
  });
});

describe('masks that mark nothing', () => {
  it('are listed by a decoding check for anomalous images, beside masks of another size', async () => {
    const root = path.join(work, 'blank');
    await writeImages(root, ['bottle/train/good/000.png', 'bottle/test/good/000.png', 'bottle/test/crack/000.png', 'bottle/test/crack/001.png', 'bottle/ground_truth/crack/000_mask.png']);
    await writeImage(path.join(root, 'bottle/ground_truth/crack/001_mask.png'), 8, 8, 0);
    const decoded = await checkDataset('mvtec', root, undefined, { decode: true });
    expect(decoded.problems.map((p) => [p.kind, path.relative(root, p.file), p.problem])).toEqual([
      ['empty-mask', 'bottle/ground_truth/crack/001_mask.png', 'mask is all zero but its image 001.png is labelled anomalous'],
    ]);
    // Headers alone cannot tell.
    expect((await checkDataset('mvtec', root)).problems).toEqual([]);
  });
});
