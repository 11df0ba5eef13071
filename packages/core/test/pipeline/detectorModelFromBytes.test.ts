import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AaclipError } from '@aaclip/core';
import { detectorModelFromBytes, type ModelFileBytes } from '../../src/pipeline/detectorModelFromBytes.js';
import { fixtureFile, vocabPath } from '../../../../test-support/fixture.js';
import { fixtureTensors } from '../../../../test-support/fixtureLoader.js';

const file = (path: string, name = path.split('/').at(-1)!) => ({ name, bytes: new Uint8Array(readFileSync(path)) });

function fixtureFiles(): ModelFileBytes {
  return {
    config: file(fixtureFile('open_clip_config.json')),
    weights: file(fixtureFile('clip.safetensors')),
    vocabulary: file(vocabPath),
    adapters: [file(fixtureFile('adapters.safetensors'))],
  };
}

describe('detectorModelFromBytes', () => {
  it('reads the fixture model: config, weights, adapters and a tokenizer that gives the golden prompt ids', async () => {
    const model = await detectorModelFromBytes(fixtureFiles());
    expect(model.config.vision_cfg).toMatchObject({ width: 64, layers: 24, patch_size: 8, image_size: 32 });
    expect(model.weights.get('visual.proj')?.shape).toEqual([64, 48]);
    expect([...model.adapters!.keys()].every((k) => k.startsWith('text_adapter.') || k.startsWith('image_adapter.'))).toBe(true);
    const config = JSON.parse(readFileSync(fixtureFile('config.json'), 'utf8')) as { prompts: string[] };
    const { ids } = model.tokenizer.encodeBatch(config.prompts, { contextLength: 77 });
    const golden = fixtureTensors('golden.safetensors');
    expect(Array.from(ids)).toEqual(Array.from(golden.get('prompt_tokens')!.data as BigInt64Array));
  });

  it('reads the reference’s two .pth adapter files like the safetensors one', async () => {
    const fromPth = await detectorModelFromBytes({
      ...fixtureFiles(),
      adapters: [file(fixtureFile('text_adapter.pth')), file(fixtureFile('image_adapter_20.pth'))],
    });
    const fromSafetensors = await detectorModelFromBytes(fixtureFiles());
    expect([...fromPth.adapters!.keys()].sort()).toEqual([...fromSafetensors.adapters!.keys()].sort());
    const key = [...fromSafetensors.adapters!.keys()][0]!;
    expect(fromPth.adapters!.get(key)!.data).toEqual(fromSafetensors.adapters!.get(key)!.data);
  });

  it('has no adapters when none are given (plain CLIP)', async () => {
    expect((await detectorModelFromBytes({ ...fixtureFiles(), adapters: [] })).adapters).toBeNull();
  });

  it('names the file at fault', async () => {
    const files = fixtureFiles();
    const bad = (patch: Partial<ModelFileBytes>) => detectorModelFromBytes({ ...files, ...patch });
    const text = (name: string, content: string) => ({ name, bytes: new TextEncoder().encode(content) });
    await expect(bad({ config: text('cfg.json', '{"embed_dim": ') })).rejects.toThrow(/^cfg\.json: not valid JSON/);
    await expect(bad({ config: text('cfg.json', '{"embed_dim": "wide"}') })).rejects.toThrow(/^cfg\.json: .*embed_dim/);
    await expect(bad({ weights: text('w.safetensors', 'not a checkpoint') })).rejects.toThrow(/^w\.safetensors: /);
    await expect(bad({ vocabulary: text('vocab.json', '{"a": 1}') })).rejects.toThrow(/^vocab\.json: a Hugging Face vocab\.json needs its merges\.txt/);
    await expect(bad({ vocabulary: { name: 'v.gz', bytes: files.vocabulary.bytes.subarray(0, 5000) } })).rejects.toThrow(AaclipError);
    await expect(bad({ vocabulary: { name: 'v.gz', bytes: files.vocabulary.bytes.subarray(0, 5000) } })).rejects.toThrow(/^v\.gz: /);
  });
});

describe('detectorModelFromBytes: a legacy (pre-1.6) torch.save file as weights', () => {
  it('is named as a legacy torch file, not diagnosed as a bad safetensors header', async () => {
    // torch.save before 1.6: magic number, protocol version and system info, each a pickle.
    const legacy = new Uint8Array([
      0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
      0x80, 0x02, 0x4d, 0xe9, 0x03, 0x2e,
      0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e,
    ]);
    const files = { ...fixtureFiles(), weights: { name: 'ViT-L-14-336px.pth', bytes: legacy } };
    await expect(detectorModelFromBytes(files)).rejects.toThrow(/^ViT-L-14-336px\.pth: is a legacy torch\.save file/);
  });
});
