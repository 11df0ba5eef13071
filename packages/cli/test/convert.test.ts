// `aaclip convert` and the checkpoints people have, end to end: the fixture's weights written as
// open_clip's open_clip_pytorch_model.bin and as an OpenAI TorchScript archive (whose code/ holds
// Python that would leave a file behind if anything ran it), converted, and run through detect —
// the golden maps at the README's tolerance; hostile and legacy inputs refused, nothing written.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors, type Tensor, type TensorMap } from '@aaclip/core';
import { maxAbsError } from '@aaclip/core/testing';
import { aaclip } from './runCli.js';
import { fixtureFile, vocabPath } from '../../../test-support/fixture.js';
import { fixtureTensors, readTensorFile } from '../../../test-support/fixtureLoader.js';
import { openAiScriptModule, torchSaveBytes, torchSaveStateDict, torchScriptBytes } from '../../../test-support/torchArchives.js';

const MAP_TOLERANCE = 1e-3;
const IMAGE = fixtureFile('images/img2.png'); // needs no resize: the README's 1e-3 holds
const DETECT_FLAGS = ['--vocab', vocabPath, '--image-size', '48', '--class-name', 'dark bottle'];

let work: string;
/** Where the archive's code would write if it ran. */
let trace: string;
let clip: TensorMap;

const harmfulCode = (): Record<string, string> => ({
  '__torch__/multimodal/model/multimodal_transformer.py': `import os\nopen(${JSON.stringify(trace)}, "w").write("ran")\nos.system("touch ${trace}")\n`,
  '__torch__/multimodal/model/multimodal_transformer.py.debug_pkl': 'not a pickle anyone reads',
});

const bytesOf = (d: Tensor['data']): Buffer => Buffer.from(d.buffer, d.byteOffset, d.byteLength);
function expectSameTensors(actual: TensorMap, expected: TensorMap): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, t] of expected) {
    expect(actual.get(key)!.shape, key).toEqual(t.shape);
    expect(bytesOf(actual.get(key)!.data).equals(bytesOf(t.data)), key).toBe(true);
  }
}

async function goldenMapError(outDir: string): Promise<number> {
  const map = readTensorFile(path.join(outDir, 'maps.safetensors')).get(IMAGE)!.data as Float32Array;
  const golden = (fixtureTensors('golden.safetensors').get('anomaly_map')!.data as Float32Array).subarray(2 * 48 * 48, 3 * 48 * 48);
  return maxAbsError(map, golden);
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-convert-'));
  trace = path.join(work, 'code-ran');
  clip = fixtureTensors('clip.safetensors');
  await writeFile(path.join(work, 'ViT-tiny.pt'), torchScriptBytes(openAiScriptModule(clip, { inputResolution: 32, contextLength: 77, vocabSize: 49408 }), harmfulCode(), 'ViT-tiny'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('an OpenAI TorchScript archive', () => {
  it('runs through detect --weights as it is: the golden map', async () => {
    const r = await aaclip('detect', '--model-config', fixtureFile('open_clip_config.json'), '--weights', path.join(work, 'ViT-tiny.pt'),
      '--adapters', fixtureFile('adapters.safetensors'), ...DETECT_FLAGS, '--out', path.join(work, 'detect-pt'), IMAGE);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await goldenMapError(path.join(work, 'detect-pt'))).toBeLessThan(MAP_TOLERANCE);
    expect(existsSync(trace)).toBe(false);
  });

  it('converts to safetensors holding the state dict, with its sources in __metadata__; the code never runs', async () => {
    const out = path.join(work, 'converted', 'open_clip_model.safetensors');
    const r = await aaclip('convert', path.join(work, 'ViT-tiny.pt'), '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`read ${path.join(work, 'ViT-tiny.pt')}: torchscript, ${clip.size} tensors`);
    // The fixture's 48-wide text tower has no 64-channel heads: no config can be inferred, and convert says so.
    expect(r.stderr).toMatch(/^convert: no config written \(.*cannot infer the attention heads.*\); give one with --model-config when you use these weights$/);
    expect(await readdir(path.dirname(out))).toEqual(['open_clip_model.safetensors']);
    const { tensors, metadata } = readSafetensors(new Uint8Array(await readFile(out)), out);
    expectSameTensors(tensors, clip);
    const sources = JSON.parse(metadata['aaclip.converted_from']!) as { name: string; format: string; tensors: number; sha256: string }[];
    expect(sources).toEqual([{ name: path.join(work, 'ViT-tiny.pt'), format: 'torchscript', tensors: clip.size, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(metadata.format).toBe('pt');
    // (The same bytes as clip.safetensors, whose golden parity detect.test.ts checks.)
    expect(existsSync(trace)).toBe(false);
  });

  it('gets its open_clip config inferred and written next to --out (QuickGELU, or exact with --gelu exact)', async () => {
    // A model with OpenAI's 64-channel heads: the fixture's vision tower (width 64) and a text tower of width 64.
    const wide: TensorMap = new Map([...clip].filter(([k]) => k.startsWith('visual.')));
    const add = (key: string, shape: number[]) => wide.set(key, { dtype: 'F32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.02) });
    add('token_embedding.weight', [49408, 64]);
    add('positional_embedding', [77, 64]);
    for (const [key, t] of clip) {
      if (key.startsWith('transformer.resblocks.')) add(key, t.shape.map((d) => (d === 48 ? 64 : d === 144 ? 192 : d === 192 ? 256 : d)));
    }
    add('ln_final.weight', [64]);
    add('ln_final.bias', [64]);
    add('text_projection', [64, 48]);
    const archive = path.join(work, 'wide.pt');
    await writeFile(archive, torchScriptBytes(openAiScriptModule(wide, { inputResolution: 32, contextLength: 77, vocabSize: 49408 }), harmfulCode(), 'wide'));

    const dir = path.join(work, 'wide-model');
    const r = await aaclip('convert', archive, '--out', path.join(dir, 'open_clip_model.safetensors'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const config = JSON.parse(await readFile(path.join(dir, 'open_clip_config.json'), 'utf8')) as { model_cfg: Record<string, unknown> };
    expect(config.model_cfg).toEqual({
      embed_dim: 48,
      quick_gelu: true,
      vision_cfg: { image_size: 32, layers: 24, width: 64, patch_size: 8, head_width: 64, mlp_ratio: 4 },
      text_cfg: { context_length: 77, vocab_size: 49408, width: 64, heads: 1, layers: 12, mlp_ratio: 4 },
    });
    const { metadata } = readSafetensors(new Uint8Array(await readFile(path.join(dir, 'open_clip_model.safetensors'))), 'out');
    expect(JSON.parse(metadata['aaclip.open_clip_config']!)).toEqual(config);

    // The folder is a usable --model (with the vocabulary beside it).
    await copyFile(vocabPath, path.join(dir, 'bpe_simple_vocab_16e6.txt.gz'));
    const detect = await aaclip('detect', '--model', dir, '--image-size', '48', '--class-name', 'dark bottle', '--out', path.join(work, 'wide-detect'), IMAGE);
    expect(detect.stderr).toBe('');
    expect(detect.code).toBe(0);

    const exact = path.join(work, 'exact.json');
    const e = await aaclip('convert', archive, '--out', path.join(work, 'exact.safetensors'), '--config-out', exact, '--gelu', 'exact');
    expect(e.code).toBe(0);
    expect((JSON.parse(await readFile(exact, 'utf8')) as { model_cfg: { quick_gelu: boolean } }).model_cfg.quick_gelu).toBe(false);
    expect(existsSync(trace)).toBe(false);
  });
});

describe('open_clip_pytorch_model.bin (torch.save)', () => {
  it('is found in a --model folder and gives the golden map', async () => {
    const dir = path.join(work, 'bin-model');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'open_clip_pytorch_model.bin'), torchSaveStateDict(clip));
    await copyFile(fixtureFile('open_clip_config.json'), path.join(dir, 'open_clip_config.json'));
    await copyFile(vocabPath, path.join(dir, 'bpe_simple_vocab_16e6.txt.gz'));
    const r = await aaclip('detect', '--model', dir, '--adapters', fixtureFile('adapters.safetensors'), '--image-size', '48', '--class-name', 'dark bottle',
      '--out', path.join(work, 'bin-detect'), IMAGE);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await goldenMapError(path.join(work, 'bin-detect'))).toBeLessThan(MAP_TOLERANCE);
  });

  it('converts, a state_dict. prefix dropped', async () => {
    const bin = path.join(work, 'wrapped.bin');
    await writeFile(bin, torchSaveBytes({ state_dict: new Map(clip), epoch: 3 }));
    const out = path.join(work, 'wrapped.safetensors');
    const r = await aaclip('convert', bin, '--out', out, '--config-out', path.join(work, 'never.json'));
    // --config-out insists on a config, which the fixture's shapes cannot give: nothing is written.
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot infer the attention heads/);
    expect(existsSync(out)).toBe(false);
    const ok = await aaclip('convert', bin, '--out', out);
    expect(ok.code).toBe(0);
    expectSameTensors(readTensorFile(out), clip);
  });
});

describe("the reference's adapter files", () => {
  it('merge into one adapters file equal to adapters.safetensors', async () => {
    const out = path.join(work, 'adapters.safetensors');
    const r = await aaclip('convert', fixtureFile('text_adapter.pth'), fixtureFile('image_adapter_20.pth'), '--out', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expectSameTensors(readTensorFile(out), fixtureTensors('adapters.safetensors'));
  });

  it('keep the --relu variant’s keys', async () => {
    const out = path.join(work, 'relu.safetensors');
    expect((await aaclip('convert', fixtureFile('adapters_relu.safetensors'), '--out', out)).code).toBe(0);
    expectSameTensors(readTensorFile(out), fixtureTensors('adapters_relu.safetensors'));
  });
});

describe('convert on bad input: one line, exit 1, nothing written', () => {
  const refused = async (args: string[], message: RegExp): Promise<void> => {
    const before = await readdir(work);
    const r = await aaclip('convert', ...args);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect((await readdir(work)).sort()).toEqual(before.sort());
  };

  it('a legacy (pre-1.6) torch file, naming what to do', async () => {
    const legacy = path.join(work, 'legacy.pth');
    await writeFile(legacy, new Uint8Array([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e, 0x80, 0x02, 0x7d, 0x2e]));
    await refused([legacy, '--out', path.join(work, 'x.safetensors')], /legacy\.pth: is a legacy torch\.save file \(the pre-1\.6 format, not a zip\); load it in PyTorch and re-save it/);
  });

  it('an archive whose entry names leave its folder', async () => {
    const bytes = torchSaveStateDict(new Map([['w', clip.get('visual.proj')!]]), '../../escape');
    const evil = path.join(work, 'escape.pth');
    await writeFile(evil, bytes);
    await refused([evil, '--out', path.join(work, 'x.safetensors')], /escape\.pth: zip entry name "\.\.\/\.\.\/escape\/data\.pkl" escapes the archive's folder/);
  });

  it('the same tensor in two inputs, a missing --out, a wrong --gelu, an output that is an input', async () => {
    const a = fixtureFile('adapters.safetensors');
    await refused([a, a, '--out', path.join(work, 'x.safetensors')], /adapters\.safetensors: tensor "image_adapter\.det_proj\.fc\.weight" is also in .*adapters\.safetensors; convert merges inputs whose tensor names differ$/);
    await refused([a], /^aaclip convert: --out: is required/);
    await refused([a, '--out', path.join(work, 'x.bin')], /--out: ".*x\.bin" does not end in \.safetensors/);
    await refused([a, '--out', path.join(work, 'x.safetensors'), '--gelu', 'fast'], /--gelu: "fast" is not quick or exact/);
    await refused([a, '--out', a], /is both an input and an output/);
  });
});
