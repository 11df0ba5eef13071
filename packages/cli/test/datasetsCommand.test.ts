import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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
