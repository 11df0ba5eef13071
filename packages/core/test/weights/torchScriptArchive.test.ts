// Checkpoints people already have, rebuilt from the fixture's weights by test-support/torchArchives:
// open_clip's open_clip_pytorch_model.bin (a torch.save state dict) and OpenAI's TorchScript .pt
// (module objects in data.pkl, Python source in code/) — read as data, exactly the fixture's
// tensors — and the open_clip config inferred from a state dict's shapes.
import { describe, expect, it, vi } from 'vitest';
import { AaclipError, inferClipConfig, readTorchArchive, type Tensor, type TensorMap } from '@aaclip/core';
import { fixtureTensors } from '../../../../test-support/fixtureLoader.js';
import { openAiScriptModule, torchSaveStateDict, torchScriptBytes } from '../../../../test-support/torchArchives.js';
import { ZipArchive } from '../../src/weights/zipArchive.js';

/** Python that would leave a trace if anything ran it. */
const HARMFUL_CODE = {
  '__torch__/multimodal/model/multimodal_transformer.py':
    'import os\nos.system("touch /tmp/aaclip-torchscript-code-ran")\nclass Multimodal(Module):\n  __parameters__ = []\n',
};

function expectSameTensors(actual: TensorMap, expected: TensorMap): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, t] of expected) {
    const got = actual.get(key)!;
    expect(got.dtype, key).toBe(t.dtype);
    expect(got.shape, key).toEqual(t.shape);
    // Byte equality (toEqual walks big typed arrays element by element, slowly).
    const bytes = (d: Tensor['data']) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    expect(bytes(got.data).equals(bytes(t.data)), key).toBe(true);
  }
}

const fixtureScriptArchive = (clip: TensorMap): Uint8Array =>
  torchScriptBytes(openAiScriptModule(clip, { inputResolution: 32, contextLength: 77, vocabSize: 49408 }), HARMFUL_CODE, 'ViT-tiny');

describe('open_clip_pytorch_model.bin (torch.save of the state dict)', () => {
  it('reads every tensor of the fixture exactly, and says it is torch.save', async () => {
    const clip = fixtureTensors('clip.safetensors');
    const archive = await readTorchArchive(torchSaveStateDict(clip), 'open_clip_pytorch_model.bin');
    expect(archive.format).toBe('torch.save');
    expectSameTensors(archive.tensors, clip);
  });
});

describe('an OpenAI TorchScript archive', () => {
  it('gives the module state dict by attribute path: the fixture tensors, without the attention masks', async () => {
    const clip = fixtureTensors('clip.safetensors');
    const archive = await readTorchArchive(fixtureScriptArchive(clip), 'ViT-tiny.pt');
    expect(archive.format).toBe('torchscript');
    expectSameTensors(archive.tensors, clip);
  });

  it('reads only data.pkl and the storages: code/ and constants.pkl are never opened', async () => {
    const read = vi.spyOn(ZipArchive.prototype, 'read');
    try {
      await readTorchArchive(fixtureScriptArchive(fixtureTensors('clip.safetensors')), 'ViT-tiny.pt');
      const names = read.mock.calls.map(([name]) => name);
      expect(names[0]).toBe('ViT-tiny/data.pkl');
      expect(names.slice(1).every((n) => /^ViT-tiny\/data\/\d+$/.test(n))).toBe(true);
    } finally {
      read.mockRestore();
    }
  });

  it('keeps half-precision weights as F16 (OpenAI stores fp16)', async () => {
    const half: TensorMap = new Map([['visual.proj', { dtype: 'F16', shape: [2, 2], data: new Uint16Array([0x3c00, 0x4000, 0x4200, 0x4400]) } as Tensor]]);
    const { tensors } = await readTorchArchive(torchScriptBytes(openAiScriptModule(half, { inputResolution: 1, contextLength: 2, vocabSize: 1 }), {}, 'h'), 'h.pt');
    expect(tensors.get('visual.proj')).toEqual(half.get('visual.proj'));
  });
});

/** A state dict of the given ViT CLIP shapes (values are irrelevant to inference). */
function clipStateDict(v: { width: number; layers: number; patch: number; grid: number }, t: { width: number; layers: number; context: number; vocab: number }, embed: number): TensorMap {
  const out: TensorMap = new Map();
  const add = (key: string, shape: number[]): void => {
    out.set(key, { dtype: 'F32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.01) });
  };
  const block = (prefix: string, w: number): void => {
    for (const n of ['ln_1', 'ln_2']) {
      add(`${prefix}.${n}.weight`, [w]);
      add(`${prefix}.${n}.bias`, [w]);
    }
    add(`${prefix}.attn.in_proj_weight`, [3 * w, w]);
    add(`${prefix}.attn.in_proj_bias`, [3 * w]);
    add(`${prefix}.attn.out_proj.weight`, [w, w]);
    add(`${prefix}.attn.out_proj.bias`, [w]);
    add(`${prefix}.mlp.c_fc.weight`, [4 * w, w]);
    add(`${prefix}.mlp.c_fc.bias`, [4 * w]);
    add(`${prefix}.mlp.c_proj.weight`, [w, 4 * w]);
    add(`${prefix}.mlp.c_proj.bias`, [w]);
  };
  add('visual.conv1.weight', [v.width, 3, v.patch, v.patch]);
  add('visual.class_embedding', [v.width]);
  add('visual.positional_embedding', [v.grid * v.grid + 1, v.width]);
  add('visual.ln_pre.weight', [v.width]);
  add('visual.ln_pre.bias', [v.width]);
  for (let i = 0; i < v.layers; i++) block(`visual.transformer.resblocks.${i}`, v.width);
  add('visual.ln_post.weight', [v.width]);
  add('visual.ln_post.bias', [v.width]);
  add('visual.proj', [v.width, embed]);
  add('token_embedding.weight', [t.vocab, t.width]);
  add('positional_embedding', [t.context, t.width]);
  for (let i = 0; i < t.layers; i++) block(`transformer.resblocks.${i}`, t.width);
  add('ln_final.weight', [t.width]);
  add('ln_final.bias', [t.width]);
  add('text_projection', [t.width, embed]);
  add('logit_scale', []);
  return out;
}

describe('inferClipConfig', () => {
  it('reads open_clip’s config from the shapes (heads of 64 channels, QuickGELU when asked)', async () => {
    const weights = clipStateDict({ width: 128, layers: 3, patch: 8, grid: 3 }, { width: 64, layers: 2, context: 16, vocab: 50 }, 32);
    // Through a TorchScript archive, as convert reads it.
    const { tensors } = await readTorchArchive(torchScriptBytes(openAiScriptModule(weights, { inputResolution: 24, contextLength: 16, vocabSize: 50 }), HARMFUL_CODE, 'm'), 'm.pt');
    const inferred = inferClipConfig(tensors, 'm.pt', { quickGelu: true });
    expect(inferred.json.model_cfg).toEqual({
      embed_dim: 32,
      quick_gelu: true,
      vision_cfg: { image_size: 24, layers: 3, width: 128, patch_size: 8, head_width: 64, mlp_ratio: 4 },
      text_cfg: { context_length: 16, vocab_size: 50, width: 64, heads: 1, layers: 2, mlp_ratio: 4 },
    });
    expect(inferred.parsed.model.vision_cfg.image_size).toBe(24);
    expect(inferred.parsed.preprocess.size).toBe(24);
    expect(inferClipConfig(tensors, 'm.pt').json.model_cfg.quick_gelu).toBe(false);
  });

  it('gives ViT-L-14-336’s config for ViT-L-14-336’s shapes', () => {
    // The rule that makes 336: patch 14 × a 24×24 position grid (widths kept small here).
    const weights = clipStateDict({ width: 64, layers: 1, patch: 14, grid: 24 }, { width: 64, layers: 1, context: 77, vocab: 49408 }, 32);
    const { model_cfg } = inferClipConfig(weights, 'w').json;
    expect((model_cfg.vision_cfg as { image_size: number }).image_size).toBe(336);
  });

  it('refuses, in one line naming the file, what it cannot infer', () => {
    const thrown = (work: () => unknown): string => {
      try {
        work();
      } catch (err) {
        expect(err).toBeInstanceOf(AaclipError);
        return (err as Error).message;
      }
      throw new Error('expected an error');
    };
    // The fixture's 48-wide text tower has 12-channel heads: shapes cannot tell.
    expect(thrown(() => inferClipConfig(fixtureTensors('clip.safetensors'), 'clip.safetensors'))).toBe(
      "clip.safetensors: cannot infer the attention heads: widths 64 (vision) and 48 (text) are not multiples of OpenAI's 64-channel heads; give the model config by hand",
    );
    const adapters = fixtureTensors('adapters.safetensors');
    expect(thrown(() => inferClipConfig(adapters, 'adapters.safetensors'))).toBe(
      'adapters.safetensors: cannot infer the model config: no "visual.conv1.weight" (not a CLIP ViT state dict?)',
    );
    const resnet: TensorMap = new Map([['visual.attnpool.c_proj.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) }]]);
    expect(thrown(() => inferClipConfig(resnet, 'RN50.pt'))).toBe('RN50.pt: is a ResNet CLIP (it has visual.attnpool, no visual.proj); only ViT backbones are supported');
    const gap = clipStateDict({ width: 64, layers: 3, patch: 8, grid: 2 }, { width: 64, layers: 1, context: 8, vocab: 10 }, 32);
    gap.delete('visual.transformer.resblocks.1.attn.in_proj_weight');
    expect(thrown(() => inferClipConfig(gap, 'gap.bin'))).toBe('gap.bin: cannot infer the model config: block "visual.transformer.resblocks.1" is missing among 2 blocks');
    const uneven = clipStateDict({ width: 64, layers: 2, patch: 8, grid: 2 }, { width: 64, layers: 2, context: 8, vocab: 10 }, 32);
    uneven.set('transformer.resblocks.1.mlp.c_fc.weight', { dtype: 'F32', shape: [128, 64], data: new Float32Array(128 * 64) });
    expect(thrown(() => inferClipConfig(uneven, 'uneven.bin'))).toBe(
      'uneven.bin: cannot infer the model config: transformer.resblocks.1.mlp.c_fc.weight has shape [128, 64], the inferred config needs [256, 64]',
    );
  });
});
