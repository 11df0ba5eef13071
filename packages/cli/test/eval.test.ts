import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classFileStem, evaluateClass, METRIC_NAMES, readClassMaps } from '@aaclip/eval';
import type { MetricsJson } from '@aaclip/eval';
import { aaclip } from './runCli.js';
import { FIXTURE_MODEL_FLAGS } from '../../../test-support/fixture.js';

const SIZE = 48;

let work: string;
let root: string;


/** A 40×40 RGB picture: a smooth gradient with a seed-dependent tint, and a bright square where the defect is. */
async function writePicture(file: string, seed: number, defect: [number, number, number] | null): Promise<void> {
  const w = 40;
  const data = Buffer.alloc(w * w * 3);
  for (let y = 0; y < w; y++) {
    for (let x = 0; x < w; x++) {
      const inDefect = defect && x >= defect[0] && x < defect[0] + defect[2] && y >= defect[1] && y < defect[1] + defect[2];
      const p = (y * w + x) * 3;
      data[p] = inDefect ? 250 : (x * 5 + seed * 37) % 200;
      data[p + 1] = inDefect ? 240 : (y * 4 + seed * 11) % 180;
      data[p + 2] = inDefect ? 30 : 90 + ((seed * 23) % 60);
    }
  }
  await mkdir(path.dirname(file), { recursive: true });
  await sharp(data, { raw: { width: w, height: w, channels: 3 } }).png().toFile(file);
}

/** The defect square as a 40×40 grey mask (255 inside). */
async function writeMask(file: string, defect: [number, number, number]): Promise<void> {
  const w = 40;
  const data = Buffer.alloc(w * w);
  for (let y = defect[1]; y < defect[1] + defect[2]; y++) data.fill(255, y * w + defect[0], y * w + defect[0] + defect[2]);
  await mkdir(path.dirname(file), { recursive: true });
  await sharp(data, { raw: { width: w, height: w, channels: 1 } }).png().toFile(file);
}

/** A tiny MVTec AD tree: two classes, 3 normal + 3 anomalous test images each (one defect type). */
async function writeDataset(dir: string): Promise<void> {
  for (const [c, cls] of ['bottle', 'cable'].entries()) {
    await writePicture(path.join(dir, cls, 'train/good/000.png'), 100 + c, null);
    for (let i = 0; i < 3; i++) {
      await writePicture(path.join(dir, cls, `test/good/00${i}.png`), 10 * c + i, null);
      const defect: [number, number, number] = [5 + 7 * i, 8 + 5 * i, 6 + 2 * i];
      await writePicture(path.join(dir, cls, `test/broken/00${i}.png`), 10 * c + i + 5, defect);
      await writeMask(path.join(dir, cls, `ground_truth/broken/00${i}_mask.png`), defect);
    }
  }
}

/** AUROC as the Mann–Whitney statistic, from its definition (independent of the fast implementation). */
function mannWhitneyAuroc(scores: Float32Array, labels: Uint8Array): number {
  const pos: number[] = [];
  const neg: number[] = [];
  scores.forEach((s, i) => (labels[i] ? pos : neg).push(s));
  neg.sort((a, b) => a - b);
  let wins = 0;
  for (const p of pos) {
    // count negatives below p and equal to p by binary search
    let lo = 0;
    let hi = neg.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (neg[mid]! < p) lo = mid + 1;
      else hi = mid;
    }
    let eq = lo;
    while (eq < neg.length && neg[eq] === p) eq++;
    wins += lo + 0.5 * (eq - lo);
  }
  return wins / pos.length / neg.length;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-eval-'));
  root = path.join(work, 'mvtec');
  await writeDataset(root);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('aaclip eval on a generated MVTec tree with the fixture model', () => {
  let out: string;
  let first: Awaited<ReturnType<typeof aaclip>>;
  let metrics: MetricsJson;

  beforeAll(async () => {
    out = path.join(work, 'run');
    first = await aaclip('eval', '--dataset', 'mvtec', '--root', root, '--classes', 'bottle', ...FIXTURE_MODEL_FLAGS, '--out', out, '--save-maps', '--gallery', '2');
    metrics = JSON.parse(await readFile(path.join(out, 'metrics.json'), 'utf8')) as MetricsJson;
  });

  it('succeeds and writes a well-formed metrics.json', () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(Object.keys(metrics)).toEqual(['classes', 'mean']);
    expect(Object.keys(metrics.classes)).toEqual(['bottle']);
    for (const m of [metrics.classes.bottle!, metrics.mean]) {
      expect(Object.keys(m)).toEqual([...METRIC_NAMES]);
      for (const name of METRIC_NAMES) {
        const v = m[name];
        expect(v === null || (typeof v === 'number' && v >= 0 && v <= 1)).toBe(true);
      }
    }
    // Both label values and both pixel values occur, so every metric is defined.
    expect(Object.values(metrics.classes.bottle!).every((v) => v !== null)).toBe(true);
    expect(metrics.mean).toEqual(metrics.classes.bottle);
    expect(first.stdout).toMatch(/^bottle\tpixel_auroc=\d+\.\d\d\t/m);
  });

  it('equals the metrics recomputed from the saved maps', async () => {
    const saved = await readClassMaps(path.join(out, 'maps/bottle.safetensors'));
    expect([saved.count, saved.height, saved.width]).toEqual([6, SIZE, SIZE]);
    expect(saved.domain).toBe('industrial');
    expect(Array.from(saved.labels)).toEqual([0, 0, 0, 1, 1, 1]); // normal folder first, as the dataset lists them
    expect(saved.ids?.map((p) => path.relative(root, p))).toEqual([
      'bottle/test/good/000.png', 'bottle/test/good/001.png', 'bottle/test/good/002.png',
      'bottle/test/broken/000.png', 'bottle/test/broken/001.png', 'bottle/test/broken/002.png',
    ]);
    // Masks were resized nearest-neighbour 40 → 48: a 6-pixel square becomes 7 or 8 pixels wide.
    const plane = SIZE * SIZE;
    const ones = (i: number): number => saved.masks.subarray(i * plane, (i + 1) * plane).reduce((s, v) => s + v, 0);
    expect([ones(0), ones(1), ones(2)]).toEqual([0, 0, 0]);
    expect(ones(3)).toBeGreaterThanOrEqual(49);
    expect(ones(3)).toBeLessThanOrEqual(64);

    const again = evaluateClass(saved);
    expect(again.metrics).toEqual(metrics.classes.bottle);

    // An independent check of the pixel AUROC on the normalised maps.
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of saved.maps) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const range = Math.fround(hi - lo);
    const normalised = Float32Array.from(saved.maps, (v) => Math.fround(v - lo) / range);
    expect(Math.abs(mannWhitneyAuroc(normalised, saved.masks) - metrics.classes.bottle!.pixel_auroc!)).toBeLessThan(1e-12);
  });

  it('writes the reports, the class result and the gallery pictures', async () => {
    for (const f of ['metrics.csv', 'report.md', 'report.html', 'classes/bottle.json']) expect(existsSync(path.join(out, f))).toBe(true);
    // The class was prompted with the reference's MVTec prompt name.
    const classResult = JSON.parse(await readFile(path.join(out, 'classes/bottle.json'), 'utf8')) as { promptName: string };
    expect(classResult.promptName).toBe('dark bottle');
    const html = await readFile(path.join(out, 'report.html'), 'utf8');
    const sources = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]!);
    expect(sources).toHaveLength(4);
    for (const src of sources) {
      const meta = await sharp(path.join(out, src)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', SIZE, SIZE]);
    }
    expect(html.match(/<svg /g)).toHaveLength(2);
    const csv = (await readFile(path.join(out, 'metrics.csv'), 'utf8')).trim().split('\n');
    expect(csv[1]!.split(',').slice(1).map(Number)).toEqual(METRIC_NAMES.map((n) => metrics.classes.bottle![n]));
  });

  it('--resume keeps the finished class and evaluates the rest', async () => {
    const before = await readFile(path.join(out, 'classes/bottle.json'), 'utf8');
    const resumed = await aaclip('eval', '--dataset', 'mvtec', '--root', root, ...FIXTURE_MODEL_FLAGS, '--out', out, '--save-maps', '--gallery', '2', '--resume');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^bottle\t.*\(resumed\)$/m);
    expect(resumed.stdout).toMatch(/^cable\t/m);
    expect(resumed.stdout).not.toMatch(/^cable\t.*\(resumed\)/m);
    expect(await readFile(path.join(out, 'classes/bottle.json'), 'utf8')).toBe(before);
    const both = JSON.parse(await readFile(path.join(out, 'metrics.json'), 'utf8')) as MetricsJson;
    expect(Object.keys(both.classes)).toEqual(['bottle', 'cable']);
    expect(both.classes.bottle).toEqual(metrics.classes.bottle);
    const cable = evaluateClass(await readClassMaps(path.join(out, 'maps/cable.safetensors')));
    expect(both.classes.cable).toEqual(cable.metrics);
    for (const name of METRIC_NAMES) {
      expect(both.mean[name]).toBeCloseTo((both.classes.bottle![name]! + both.classes.cable![name]!) / 2, 14);
    }
  });

  it('--resume refuses results of a different run', async () => {
    const other = await aaclip('eval', '--dataset', 'mvtec', '--root', root, ...FIXTURE_MODEL_FLAGS, '--out', out, '--no-aupro', '--resume');
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`${path.join(out, 'classes', 'bottle.json')}: was written by a different run`);
  });
});

describe('aaclip eval bad input', () => {
  it('names the flag or the class at fault, in one line', async () => {
    const missing = await aaclip('eval', '--root', root, ...FIXTURE_MODEL_FLAGS, '--out', path.join(work, 'x'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('aaclip eval: --dataset: is required');
    const unknown = await aaclip('eval', '--dataset', 'mvtec', '--root', root, '--classes', 'bottle,wood', ...FIXTURE_MODEL_FLAGS, '--out', path.join(work, 'x'));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('aaclip eval: --classes: unknown class "wood" (classes: bottle, cable)');
    const kind = await aaclip('eval', '--dataset', 'nosuch', '--root', root, ...FIXTURE_MODEL_FLAGS, '--out', path.join(work, 'x'));
    expect(kind.code).toBe(1);
    expect(kind.stderr).toMatch(/^aaclip eval: dataset "nosuch": unknown dataset kind/);
    expect(existsSync(path.join(work, 'x'))).toBe(false);
  });

  it('lists an unreadable image, evaluates the rest and exits with 1', async () => {
    const broken = path.join(work, 'broken');
    await writeDataset(broken);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(broken, 'bottle/test/good/001.png'), 'not a png');
    const result = await aaclip('eval', '--dataset', 'mvtec', '--root', broken, '--classes', 'bottle', ...FIXTURE_MODEL_FLAGS, '--out', path.join(work, 'broken-out'), '--gallery', '0');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('1 images could not be scored');
    expect(result.stderr).toContain(`${path.join(broken, 'bottle/test/good/001.png')}: not a readable image`);
    const saved = JSON.parse(await readFile(path.join(work, 'broken-out/classes/bottle.json'), 'utf8')) as { images: unknown[] };
    expect(saved.images).toHaveLength(5);
  });
});

describe('aaclip eval on awkward datasets (issue 13)', () => {
  let listed: string;
  let manifest: string;
  const line = (o: Record<string, unknown>): string => JSON.stringify(o);

  beforeAll(async () => {
    // Classes "a b" and "a_b" from a JSONL manifest; one image lies outside the root, one anomalous
    // image has an all-zero mask and another a mask of another size.
    listed = path.join(work, 'listed', 'root');
    const lines: string[] = [];
    for (const [c, cls] of ['a b', 'a_b'].entries()) {
      const dir = `c${c}`;
      for (let i = 0; i < 2; i++) {
        await writePicture(path.join(listed, dir, `good${i}.png`), 20 * c + i, null);
        lines.push(line({ image_path: `${dir}/good${i}.png`, label: 0, class_name: cls, mask_path: '' }));
        const defect: [number, number, number] = [6 + 9 * i + 4 * c, 10 + 6 * i, 8];
        await writePicture(path.join(listed, dir, `bad${i}.png`), 20 * c + i + 7, defect);
        await writeMask(path.join(listed, dir, `bad${i}_mask.png`), defect);
        lines.push(line({ image_path: `${dir}/bad${i}.png`, label: 1, class_name: cls, mask_path: `${dir}/bad${i}_mask.png` }));
      }
    }
    await writePicture(path.join(work, 'listed', 'outside.png'), 3, null);
    lines.push(line({ image_path: '../outside.png', label: 0, class_name: 'a b', mask_path: '' }));
    await writePicture(path.join(listed, 'odd', 'blank.png'), 4, [5, 5, 9]);
    await mkdir(path.join(listed, 'odd'), { recursive: true });
    await sharp(Buffer.alloc(40 * 40), { raw: { width: 40, height: 40, channels: 1 } }).png().toFile(path.join(listed, 'odd', 'blank_mask.png'));
    lines.push(line({ image_path: 'odd/blank.png', label: 1, class_name: 'a_b', mask_path: 'odd/blank_mask.png' }));
    await writePicture(path.join(listed, 'odd', 'small.png'), 5, [20, 20, 10]);
    await sharp(Buffer.alloc(20 * 20, 255), { raw: { width: 20, height: 20, channels: 1 } }).png().toFile(path.join(listed, 'odd', 'small_mask.png'));
    lines.push(line({ image_path: 'odd/small.png', label: 1, class_name: 'a b', mask_path: 'odd/small_mask.png' }));
    manifest = path.join(listed, 'meta.jsonl');
    await writeFile(manifest, lines.join('\n'));
  });

  it('refuses a manifest path outside the root before any work unless --allow-outside-root', async () => {
    const out = path.join(work, 'listed-refused');
    const refused = await aaclip('eval', '--dataset', 'jsonl', '--root', listed, '--option', `manifest=${manifest}`, ...FIXTURE_MODEL_FLAGS, '--out', out);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`aaclip eval: ${manifest}:9: image_path "../outside.png" is outside the dataset root ${listed} (allow it with the option allowOutsideRoot, --allow-outside-root on the command line)`);
    expect(existsSync(out)).toBe(false);
    const folderKind = await aaclip('eval', '--dataset', 'mvtec', '--root', root, '--allow-outside-root', ...FIXTURE_MODEL_FLAGS, '--out', out);
    expect(folderKind.code).toBe(1);
    expect(folderKind.stderr).toMatch(/^aaclip eval: --allow-outside-root: the "mvtec" kind reads no list of paths/);
  });

  it('refuses an --out that is a file, or that holds the images, before loading the model', async () => {
    const file = path.join(work, 'listed', 'out-file');
    await writeFile(file, 'keep me');
    const started = Date.now();
    const asFile = await aaclip('eval', '--dataset', 'jsonl', '--root', listed, '--option', `manifest=${manifest}`, '--allow-outside-root', ...FIXTURE_MODEL_FLAGS, '--out', file);
    expect(asFile.code).toBe(1);
    expect(asFile.stderr).toBe(`aaclip eval: --out: ${file} is a file, not a folder`);
    expect(await readFile(file, 'utf8')).toBe('keep me');
    const intoImages = await aaclip('eval', '--dataset', 'jsonl', '--root', listed, '--option', `manifest=${manifest}`, '--allow-outside-root', ...FIXTURE_MODEL_FLAGS, '--out', path.join(listed, 'odd'));
    expect(intoImages.code).toBe(1);
    expect(intoImages.stderr).toMatch(/^aaclip eval: --out: .*odd holds the input .*; outputs written there could replace inputs/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('keeps "a b" and "a_b" apart, warns about odd masks, and --resume reuses both after removing stale temp files', async () => {
    const out = path.join(work, 'listed-run');
    const flags = ['--dataset', 'jsonl', '--root', listed, '--option', `manifest=${manifest}`, '--allow-outside-root', ...FIXTURE_MODEL_FLAGS, '--out', out, '--gallery', '1'];
    const first = await aaclip('eval', ...flags);
    expect(first.code).toBe(0);
    expect(first.stderr.split('\n')).toEqual([
      `aaclip eval: warning: ${path.join(listed, 'odd/small_mask.png')}: mask is 20×20 but its image small.png is 40×40`,
      `aaclip eval: warning: ${path.join(listed, 'odd/blank_mask.png')}: mask is all zero but its image blank.png is labelled anomalous`,
    ]);
    const stems = { 'a b': classFileStem('a b'), a_b: classFileStem('a_b') };
    expect(stems.a_b).toBe('a_b');
    expect(stems['a b']).not.toBe('a_b');
    const counts: Record<string, number> = {};
    for (const [name, stem] of Object.entries(stems)) {
      const saved = JSON.parse(await readFile(path.join(out, 'classes', `${stem}.json`), 'utf8')) as { className: string; count: number; gallery: { href: string }[] };
      expect(saved.className).toBe(name);
      counts[name] = saved.count;
      for (const g of saved.gallery) {
        expect(g.href.startsWith(`gallery/${stem}/`)).toBe(true);
        expect(existsSync(path.join(out, g.href))).toBe(true);
      }
    }
    expect(counts).toEqual({ 'a b': 6, a_b: 5 });
    const metrics = JSON.parse(await readFile(path.join(out, 'metrics.json'), 'utf8')) as MetricsJson;
    expect(Object.keys(metrics.classes)).toEqual(['a b', 'a_b']);

    // An interrupted run leaves temporary files; --resume removes them and reuses both classes.
    const stale = [path.join(out, '.report.html.0123456789ab.tmp'), path.join(out, 'classes', `.${stems['a b']}.json.abcdefabcdef.tmp`)];
    for (const file of stale) await writeFile(file, 'partial');
    const resumed = await aaclip('eval', ...flags, '--resume');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^a b\t.*\(resumed\)$/m);
    expect(resumed.stdout).toMatch(/^a_b\t.*\(resumed\)$/m);
    expect(resumed.stderr).toContain(`aaclip eval: removed 2 temporary files an interrupted run left in ${out}`);
    for (const file of stale) expect(existsSync(file)).toBe(false);
    expect(JSON.parse(await readFile(path.join(out, 'metrics.json'), 'utf8'))).toEqual(metrics);
  });
});
