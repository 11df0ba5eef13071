import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aaclip } from './runCli.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-cli-datasets-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});


describe('aaclip datasets', () => {
  it('documents every sub-command and flag in --help', async () => {
    const { code, stdout } = await aaclip('datasets', '--help');
    expect(code).toBe(0);
    for (const word of ['datasets list', 'datasets check', 'datasets manifest', 'datasets synth', '--option', '--plugin', '--decode', '--out', '--shots', '--seed', '--split', '--classes', '--images', '--size']) {
      expect(stdout).toContain(word);
    }
    expect((await aaclip('--help')).stdout).toMatch(/datasets\s+list dataset kinds/);
  });

  it('synthesises a dataset, checks it, writes a few-shot manifest and checks that too', async () => {
    const root = path.join(work, 'synthetic');
    const synth = await aaclip('datasets', 'synth', '--out', root, '--classes', '2', '--images', '2', '--size', '48', '--seed', '7');
    expect(synth.code).toBe(0);
    expect(synth.stdout).toContain('woven_fabric: good, scratch, hole, stain');

    const check = await aaclip('datasets', 'check', 'mvtec', root);
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/metal_washer\s+test\s+2\s+8\s+8/);
    expect(check.stdout).toContain('No problems found.');

    const out = path.join(root, 'few.jsonl');
    const manifest = await aaclip('datasets', 'manifest', 'mvtec', root, '--shots', '2', '--seed', '1', '--out', out);
    expect(manifest.code).toBe(0);
    const lines = (await readFile(out, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as { label: number; class_name: string });
    expect(lines).toHaveLength(8);
    expect(lines.filter((l) => l.class_name === 'metal_washer' && l.label === 1)).toHaveLength(2);

    const again = await aaclip('datasets', 'check', 'jsonl', root, '--option', `manifest=${out}`, '--option', 'facts=MVTec');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^jsonl dataset at .*: 2 classes, 8 images/);
  });

  it('exits 1 and lists every problem with its file when a dataset is broken; manifest writes nothing', async () => {
    const root = path.join(work, 'broken');
    expect((await aaclip('datasets', 'synth', '--out', root, '--classes', '1', '--images', '1', '--size', '32')).code).toBe(0);
    await rm(path.join(root, 'woven_fabric/ground_truth/hole/000_mask.png'));
    const check = await aaclip('datasets', 'check', 'mvtec', root);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('1 problem:');
    expect(check.stdout).toContain('  woven_fabric/test/hole/000.png: anomalous image without a mask in');
    const out = path.join(work, 'broken.jsonl');
    const manifest = await aaclip('datasets', 'manifest', 'mvtec', root, '--out', out);
    expect(manifest.code).toBe(1);
    expect(manifest.stderr).toMatch(/^aaclip datasets: \S+woven_fabric\/test\/hole\/000\.png: anomalous image without a mask/);
    expect(existsSync(out)).toBe(false);
  });

  it('answers bad input with one line and a non-zero exit', async () => {
    const cases: [string[], RegExp][] = [
      [['datasets'], /needs a sub-command \(list, check, manifest, synth\)/],
      [['datasets', 'convert'], /unknown sub-command "convert"/],
      [['datasets', 'check', 'imagenet', work], /dataset "imagenet": unknown dataset kind \(known: mvtec, visa, /],
      [['datasets', 'check', 'mvtec'], /datasets check: needs <kind> <root>/],
      [['datasets', 'manifest', 'mvtec', work], /--out: is required/],
      [['datasets', 'manifest', 'mvtec', work, '--out', 'x.jsonl', '--shots', 'two'], /--shots: expected a whole number ≥ 1, got "two"/],
      [['datasets', 'manifest', 'mvtec', work, '--out', 'x.jsonl', '--seed', '3'], /--seed: only applies with --shots/],
      [['datasets', 'check', 'mvtec', work, '--option', 'classes'], /--option: expected key=value/],
      [['datasets', 'check', 'mvtec', work, '--option', 'colour=red'], /mvtec options: .*colour/],
      [['datasets', 'check', 'mvtec', work, '--frobnicate'], /frobnicate/],
      [['datasets', 'synth'], /--out: is required/],
      [['datasets', 'synth', '--out', path.join(work, 'synthetic')], /already exists/],
      [['datasets', 'synth', '--out', path.join(work, 'tiny'), '--size', '8'], /synth option "size": /],
      [['datasets', 'check', 'mvtec', work, '--plugin', './no-such-plugin.mjs'], /no-such-plugin\.mjs: cannot load the dataset plugin/],
    ];
    for (const [argv, message] of cases) {
      const { code, stderr } = await aaclip(...argv);
      expect(code, argv.join(' ')).not.toBe(0);
      expect(stderr.split('\n'), argv.join(' ')).toHaveLength(1);
      expect(stderr, argv.join(' ')).toMatch(message);
    }
  });

  it('lists the dataset kinds with their layouts', async () => {
    const { code, stdout } = await aaclip('datasets', 'list');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^mvtec\s+MVTec AD layout/m);
    expect(stdout).toMatch(/^jsonl\s+JSONL manifest/m);
    expect(stdout).toContain('(also colon_kvasir)');
  });
});

describe('aaclip datasets on hostile trees (issue 13)', () => {
  it('check lists FIFOs inside class folders as problems instead of leaving them out', async (ctx) => {
    const root = path.join(work, 'with-fifo');
    expect((await aaclip('datasets', 'synth', '--out', root, '--classes', '1', '--images', '1', '--size', '32')).code).toBe(0);
    try {
      execFileSync('mkfifo', [path.join(root, 'woven_fabric/test/good/pipe.png')], { stdio: 'pipe' });
    } catch (err) {
      const reason = `mkfifo failed (${(err as Error).message.split('\n')[0]})`;
      console.warn(`skipped: ${reason}`);
      ctx.skip(reason);
    }
    const check = await aaclip('datasets', 'check', 'mvtec', root);
    expect(check.code).toBe(1);
    expect(check.stdout).not.toContain('No problems found.');
    expect(check.stdout).toContain('  woven_fabric/test/good/pipe.png: a named pipe (FIFO), not a regular file; it is never read');
  });

  it('check refuses manifest paths outside the root unless --allow-outside-root, and lists blank masks with --decode', async () => {
    const root = path.join(work, 'listed');
    expect((await aaclip('datasets', 'synth', '--out', root, '--classes', '1', '--images', '1', '--size', '32')).code).toBe(0);
    const image = 'woven_fabric/test/hole/000.png';
    const outside = path.join(work, 'outside.png');
    await copyFile(path.join(root, image), outside);
    const blankMask = path.join(root, 'blank_mask.png');
    await sharp(Buffer.alloc(32 * 32), { raw: { width: 32, height: 32, channels: 1 } }).png().toFile(blankMask);
    const manifest = path.join(root, 'm.jsonl');
    await writeFile(manifest, [
      { image_path: image, label: 1, class_name: 'w', mask_path: 'blank_mask.png' },
      { image_path: '../outside.png', label: 0, class_name: 'w', mask_path: '' },
      { image_path: outside, label: 0, class_name: 'w', mask_path: '' },
    ].map((l) => JSON.stringify(l)).join('\n'));

    const refused = await aaclip('datasets', 'check', 'jsonl', root, '--option', `manifest=${manifest}`);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('2 problems:');
    expect(refused.stdout).toContain(`  m.jsonl:2: image_path "../outside.png" is outside the dataset root ${root} (allow it with`);
    expect(refused.stdout).toContain(`  m.jsonl:3: image_path ${JSON.stringify(outside)} is outside the dataset root`);

    const allowed = await aaclip('datasets', 'check', 'jsonl', root, '--option', `manifest=${manifest}`, '--allow-outside-root');
    expect(allowed.stdout).toContain('No problems found.');
    expect(allowed.code).toBe(0);
    const decoded = await aaclip('datasets', 'check', 'jsonl', root, '--option', `manifest=${manifest}`, '--allow-outside-root', '--decode');
    expect(decoded.code).toBe(1);
    expect(decoded.stdout).toContain('  blank_mask.png: mask is all zero but its image 000.png is labelled anomalous');

    const manifestOut = path.join(work, 'copied.jsonl');
    expect((await aaclip('datasets', 'manifest', 'jsonl', root, '--option', `manifest=${manifest}`, '--out', manifestOut)).code).toBe(1);
    expect(existsSync(manifestOut)).toBe(false);
    expect((await aaclip('datasets', 'manifest', 'jsonl', root, '--option', `manifest=${manifest}`, '--out', manifestOut, '--allow-outside-root')).code).toBe(0);

    const folderKind = await aaclip('datasets', 'check', 'mvtec', root, '--allow-outside-root');
    expect(folderKind.code).toBe(1);
    expect(folderKind.stderr).toMatch(/^aaclip datasets: --allow-outside-root: the "mvtec" kind reads no list of paths/);
    expect((await aaclip('datasets', '--help')).stdout).toContain('--allow-outside-root');
  });
});
