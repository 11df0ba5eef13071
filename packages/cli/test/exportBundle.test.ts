// `aaclip export` of the fixture model, and the bundle run back through `--model <bundle>` on the
// node and web/wasm backends: the same maps as building from the weights (the fixture's 1e-3), the
// bundle's anchors equal to the golden ones, tampered files refused, and `aaclip info`'s hashes
// equal to the files' real sha256.
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBundleManifest, readSafetensors, type BundleManifest, type TensorMap } from '@aaclip/core';
import { CONFORMANCE_TOLERANCES, maxAbsError } from '@aaclip/core/testing';
import { aaclip } from './runCli.js';
import { fixtureFile, sharedDir, vocabPath } from '../../../test-support/fixture.js';
import { fixtureTensors, readTensorFile } from '../../../test-support/fixtureLoader.js';

const IMAGES = ['img0.png', 'img1.png', 'img2.png'].map((f) => fixtureFile(`images/${f}`));
const FILE_FLAGS = [
  '--model-config', fixtureFile('open_clip_config.json'),
  '--weights', fixtureFile('clip.safetensors'),
  '--adapters', fixtureFile('adapters.safetensors'),
  '--vocab', vocabPath,
];
const CPU = ['--backend', 'node', '--device', 'cpu'];
const WASM = ['--backend', 'web', '--device', 'wasm'];

let work: string;
let bundle: string;
let manifest: BundleManifest;
/** Maps of `aaclip detect` built from the weights on node/cpu, per class name. */
const fromWeights = new Map<string, TensorMap>();

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function detectMaps(out: string, ...args: string[]): Promise<TensorMap> {
  const result = await aaclip('detect', ...args, '--out', path.join(work, out), ...IMAGES);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return readTensorFile(path.join(work, out, 'maps.safetensors'));
}

function expectSameMaps(actual: TensorMap, expected: TensorMap): number {
  let worst = 0;
  for (const image of IMAGES) {
    const a = actual.get(image)!;
    expect(a.shape).toEqual([48, 48]);
    worst = Math.max(worst, maxAbsError(a.data as Float32Array, expected.get(image)!.data as Float32Array));
  }
  expect(worst).toBeLessThanOrEqual(CONFORMANCE_TOLERANCES.maps);
  return worst;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-export-'));
  bundle = path.join(work, 'bundle');
  const result = await aaclip('export', ...FILE_FLAGS, '--image-size', '48', '--class-names', 'dark bottle', ...CPU, '--out', bundle);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  manifest = parseBundleManifest(new Uint8Array(await readFile(path.join(bundle, 'aaclip-bundle.json'))), 'manifest');
  for (const className of ['dark bottle', 'bottle']) {
    fromWeights.set(className, await detectMaps(`weights-${className}`, ...FILE_FLAGS, '--image-size', '48', '--class-name', className, ...CPU));
  }
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('aaclip export of the fixture model', () => {
  it('writes the graphs with external data, the tokenizer, the anchors and the manifest, and nothing else', async () => {
    const names = (await readdir(bundle)).sort();
    expect(names).toEqual(['aaclip-bundle.json', ...manifest.files.map((f) => f.path)].sort());
    expect(manifest.graphs.vision.externalData.length).toBeGreaterThan(0);
    expect(manifest.graphs.text.externalData.length).toBeGreaterThan(0);
    expect(manifest).toMatchObject({ imageSize: 48, precision: 'fp32', model: { tower: 'adapted', adapters: 'linear' }, tokenizer: { kind: 'bpe-gz' } });
    expect(manifest.anchors.classes.map((c) => c.name)).toEqual(['dark bottle']);
    expect(manifest.graphs.vision.outputs.map((o) => o.name)).toEqual(['seg_tokens_0', 'seg_tokens_1', 'seg_tokens_2', 'seg_tokens_3', 'det_token']);
    // No hidden temporary folder is left beside the bundle.
    expect((await readdir(work)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('lists every file with its real size and sha256, and the sources with theirs', async () => {
    for (const file of manifest.files) {
      const bytes = new Uint8Array(await readFile(path.join(bundle, file.path)));
      expect({ path: file.path, size: bytes.byteLength, sha256: sha256(bytes) }).toEqual(file);
    }
    const weights = manifest.sources.find((s) => s.role === 'weights')!;
    expect(weights).toMatchObject({ file: 'clip.safetensors', sha256: sha256(new Uint8Array(await readFile(fixtureFile('clip.safetensors')))) });
  });

  it('precomputes the golden adapted anchors for the class', async () => {
    const tensors = readSafetensors(new Uint8Array(await readFile(path.join(bundle, 'anchors.safetensors'))), 'anchors').tensors;
    const anchors = tensors.get(manifest.anchors.classes[0]!.tensor)!;
    expect(anchors.shape).toEqual([48, 2]);
    const golden = fixtureTensors('golden.safetensors').get('text_anchors')!.data as Float32Array;
    expect(maxAbsError(anchors.data as Float32Array, golden)).toBeLessThanOrEqual(CONFORMANCE_TOLERANCES.anchors);
  });

  it('refuses a non-empty folder without --force, and replaces it with --force', async () => {
    const out = path.join(work, 'taken');
    await mkdir(out);
    await writeFile(path.join(out, 'notes.txt'), 'keep me');
    const refused = await aaclip('export', ...FILE_FLAGS, '--image-size', '48', '--out', out);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`aaclip export: --out: ${out} is not empty (give --force to replace it)`);
    expect(await readdir(out)).toEqual(['notes.txt']);
    const forced = await aaclip('export', ...FILE_FLAGS, '--image-size', '48', ...CPU, '--force', '--out', out);
    expect(forced.code).toBe(0);
    expect(await readdir(out)).toContain('aaclip-bundle.json');
    expect(await readdir(out)).not.toContain('notes.txt');
  });

  it('exports int8 graphs whose maps are those of detect --precision int8 from the weights', async () => {
    const out = path.join(work, 'int8');
    const result = await aaclip('export', ...FILE_FLAGS, '--image-size', '48', '--precision', 'int8', '--class-names', 'dark bottle', ...CPU, '--out', out);
    expect(result.code).toBe(0);
    const int8 = parseBundleManifest(new Uint8Array(await readFile(path.join(out, 'aaclip-bundle.json'))), 'manifest');
    expect(int8.precision).toBe('int8');
    const fromBundle = await detectMaps('int8-bundle', '--model', out, '--class-name', 'dark bottle', ...CPU);
    // The same graphs: a bundle has no fusions, so neither may the build (int8 amplifies their rounding).
    const built = await detectMaps('int8-weights', ...FILE_FLAGS, '--image-size', '48', '--precision', 'int8', '--no-rewrites', '--class-name', 'dark bottle', ...CPU);
    expectSameMaps(fromBundle, built);
    // Quantised: not the fp32 maps.
    expect(maxAbsError(fromBundle.get(IMAGES[0]!)!.data as Float32Array, fromWeights.get('dark bottle')!.get(IMAGES[0]!)!.data as Float32Array)).toBeGreaterThan(0);
  });

  it('refuses an unknown precision, naming the flag, and writes nothing', async () => {
    const out = path.join(work, 'fp8');
    const result = await aaclip('export', ...FILE_FLAGS, '--image-size', '48', '--precision', 'fp8', '--out', out);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^aaclip export: --precision: expected fp32, fp16, int8, got "fp8"/);
    await expect(readdir(out)).rejects.toThrow();
  });
});

describe('--model <bundle>', () => {
  it('gives the maps built from the weights on node/cpu, and the golden map for the unresized image', async () => {
    const maps = await detectMaps('bundle-cpu', '--model', bundle, '--class-name', 'dark bottle', ...CPU);
    console.log(`bundle node/cpu vs weights: max map error ${expectSameMaps(maps, fromWeights.get('dark bottle')!).toExponential(2)}`);
    const golden = (fixtureTensors('golden.safetensors').get('anomaly_map')!.data as Float32Array).subarray(2 * 48 * 48, 3 * 48 * 48);
    expect(maxAbsError(maps.get(IMAGES[2]!)!.data as Float32Array, golden)).toBeLessThanOrEqual(CONFORMANCE_TOLERANCES.maps);
  });

  it('gives the same maps on web/wasm', async () => {
    const maps = await detectMaps('bundle-wasm', '--model', bundle, '--class-name', 'dark bottle', ...WASM);
    console.log(`bundle web/wasm vs weights: max map error ${expectSameMaps(maps, fromWeights.get('dark bottle')!).toExponential(2)}`);
  });

  it('runs a class it has no anchors for through its text graph', async () => {
    const maps = await detectMaps('bundle-other-class', '--model', bundle, '--class-name', 'bottle', ...CPU);
    expectSameMaps(maps, fromWeights.get('bottle')!);
    // And the class really changes the maps (the anchors are not the exported class's).
    expect(maxAbsError(maps.get(IMAGES[0]!)!.data as Float32Array, fromWeights.get('dark bottle')!.get(IMAGES[0]!)!.data as Float32Array)).toBeGreaterThan(1e-3);
  });

  it('refuses flags that would rebuild the graphs, and another image size', async () => {
    const weights = await aaclip('detect', '--model', bundle, '--weights', fixtureFile('clip.safetensors'), '--out', path.join(work, 'x'), IMAGES[0]!);
    expect(weights.code).toBe(1);
    expect(weights.stderr).toMatch(/^aaclip detect: --weights: cannot be combined with a bundle/);
    const size = await aaclip('detect', '--model', bundle, '--image-size', '64', '--out', path.join(work, 'x'), IMAGES[0]!);
    expect(size.stderr).toBe(`aaclip detect: --image-size: is 64, but the bundle ${bundle} is built for 48`);
    const train = await aaclip('train', '--dataset', 'mvtec', '--root', path.join(sharedDir, 'fixtures/tiny-train/mvtec'), '--model', bundle, '--out', path.join(work, 'train'));
    expect(train.code).toBe(1);
    expect(train.stderr).toBe(`aaclip train: --model: ${bundle} is a bundle (built graphs, no weights); this command needs the model's own files`);
  });
});

describe('aaclip eval --model <bundle>', () => {
  it('gives the metrics of the same evaluation built from the weights, and records the bundle', async () => {
    const root = path.join(sharedDir, 'fixtures/tiny-train/mvtec');
    const run = async (out: string, ...model: string[]) => {
      const result = await aaclip('eval', '--dataset', 'mvtec', '--root', root, ...model, ...CPU, '--gallery', '0', '--no-aupro', '--out', path.join(work, out));
      expect(result.code).toBe(0);
      return JSON.parse(await readFile(path.join(work, out, 'metrics.json'), 'utf8')) as { classes: Record<string, Record<string, number | null>> };
    };
    const fromBundle = await run('eval-bundle', '--model', bundle);
    const fromWeights = await run('eval-weights', ...FILE_FLAGS, '--image-size', '48');
    expect(Object.keys(fromBundle.classes)).toEqual(['bottle']);
    for (const [metric, value] of Object.entries(fromWeights.classes.bottle!)) {
      if (value === null) expect(fromBundle.classes.bottle![metric]).toBeNull();
      else expect(Math.abs(fromBundle.classes.bottle![metric]! - value), metric).toBeLessThanOrEqual(1e-6);
    }
    expect(await readFile(path.join(work, 'eval-bundle', 'report.md'), 'utf8')).toContain(bundle);
  });
});

describe('a tampered bundle', () => {
  async function tampered(name: string, change: (bytes: Uint8Array) => Uint8Array): Promise<string> {
    const dir = path.join(work, `tampered-${name}`);
    await cp(bundle, dir, { recursive: true });
    const file = path.join(dir, name);
    await writeFile(file, change(new Uint8Array(await readFile(file))));
    return dir;
  }

  it('is refused when a byte of the vision weights changed, naming the file', async () => {
    const data = manifest.graphs.vision.externalData[0]!;
    const dir = await tampered(data, (b) => {
      return b.map((v, i) => (i === b.length >> 1 ? v ^ 0x01 : v));
    });
    const result = await aaclip('detect', '--model', dir, '--class-name', 'dark bottle', ...CPU, '--out', path.join(work, 'tampered-out'), IMAGES[0]!);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`aaclip detect: ${path.join(dir, data)}: its sha256 differs from the bundle manifest's: the file was changed or damaged`);
    await expect(readdir(path.join(work, 'tampered-out'))).rejects.toThrow();
  });

  it('is refused when a file was cut short, before it is read', async () => {
    const dir = await tampered('anchors.safetensors', (b) => b.subarray(0, b.length - 8));
    const result = await aaclip('detect', '--model', dir, ...CPU, '--out', path.join(work, 'cut-out'), IMAGES[0]!);
    expect(result.stderr).toMatch(new RegExp(`^aaclip detect: ${path.join(dir, 'anchors.safetensors').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: is \\d+ bytes, the bundle manifest says \\d+`));
  });

  it('is refused when the manifest names a file outside the folder', async () => {
    const dir = await tampered('aaclip-bundle.json', (b) => new TextEncoder().encode(new TextDecoder().decode(b).replace('"vision.onnx"', '"../vision.onnx"')));
    const result = await aaclip('detect', '--model', dir, ...CPU, '--out', path.join(work, 'escape-out'), IMAGES[0]!);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/aaclip-bundle\.json: graphs\.vision\.file: must be a plain file name/);
  });
});

describe('aaclip info', () => {
  it("shows a bundle's card with each file's real sha256, all matching the manifest", async () => {
    const result = await aaclip('info', '--model', bundle, '--json');
    expect(result.code).toBe(0);
    const card = JSON.parse(result.stdout) as { backbone: string; imageSize: number; adapters: unknown; precision: string; classes: string[]; files: { file: string; size: number; sha256: string; ok: boolean }[] };
    expect(card).toMatchObject({ imageSize: 48, adapters: { present: true, projections: 'linear' }, precision: 'fp32', classes: ['dark bottle'] });
    expect(card.files.map((f) => path.basename(f.file)).sort()).toEqual(manifest.files.map((f) => f.path).sort());
    for (const f of card.files) {
      const bytes = new Uint8Array(await readFile(f.file));
      expect(f).toMatchObject({ size: bytes.byteLength, sha256: sha256(bytes), ok: true });
    }
    const text = await aaclip('info', '--model', bundle);
    expect(text.stdout).toMatch(/^backbone: {3}ViT \(width 64, 24 blocks, patch 8, native 32 px\)/m);
    expect(text.stdout).toMatch(/^adapters: {3}AA-CLIP adapters, plain Linear projections$/m);
    expect(text.stdout).toContain(`sha256 ${sha256(new Uint8Array(await readFile(fixtureFile('clip.safetensors'))))}`);
  });

  it('marks a changed file and exits 1', async () => {
    const dir = path.join(work, 'info-tampered');
    await cp(bundle, dir, { recursive: true });
    await writeFile(path.join(dir, 'text.onnx'), new Uint8Array(await readFile(path.join(bundle, 'text.onnx'))).map((v, i) => (i === 10 ? v ^ 1 : v)));
    const result = await aaclip('info', '--model', dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/text\.onnx {2}\d+ B {2}sha256 [0-9a-f]{64} {2}DIFFERS from the manifest/);
    expect(result.stderr).toBe(`${path.join(dir, 'text.onnx')}: differs from the bundle manifest (changed or damaged)`);
  });

  it("shows model files' card with their real sha256 and the adapters' projection form", async () => {
    const result = await aaclip('info', ...FILE_FLAGS.slice(0, 4), '--adapters', fixtureFile('adapters_relu.safetensors'), '--vocab', vocabPath, '--json');
    expect(result.code).toBe(0);
    const card = JSON.parse(result.stdout) as { kind: string; adapters: unknown; files: { role: string; file: string; sha256: string }[] };
    expect(card).toMatchObject({ kind: 'model', adapters: { present: true, projections: 'leaky-relu' } });
    expect(card.files.map((f) => f.role)).toEqual(['model config', 'weights', 'adapters', 'vocabulary']);
    for (const f of card.files) expect(f.sha256).toBe(sha256(new Uint8Array(await readFile(f.file))));
  });
});
