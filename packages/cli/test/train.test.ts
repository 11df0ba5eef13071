import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTrainingSettings, writeSafetensors, type TensorMap } from '@aaclip/core';
import { aaclip, type CliResult } from './runCli.js';
import { fixtureFile, sharedDir, vocabPath } from '../../../test-support/fixture.js';
import { fixtureTensors, readTensorFile } from '../../../test-support/fixtureLoader.js';

// Tolerances of the tiny-train README: what an exact float32 implementation meets.
const LOSS_REL_TOL = 1e-4;
const GRAD_REL_TOL = 1e-3;

const TRAIN_FIXTURE = path.join(sharedDir, 'fixtures/tiny-train');
const TRAIN_ROOT = path.join(TRAIN_FIXTURE, 'mvtec');
const CLASS_DIR = path.join(TRAIN_ROOT, 'bottle');
const MODEL_FLAGS = [
  '--model-config', fixtureFile('open_clip_config.json'),
  '--weights', fixtureFile('clip.safetensors'),
  '--vocab', vocabPath,
  '--image-size', '48',
];
const INIT_FLAGS = ['--init-adapters', fixtureFile('adapters.safetensors')];
const ADAPTERS_FILE = 'aaclip_adapters.safetensors';
/** The tiny-train images the trainer uses (the split with ground truth). */
const TRAIN_IMAGE_COUNT = 4;

let work: string;

function train(root: string, out: string, ...extra: string[]): Promise<CliResult> {
  return aaclip('train', '--dataset', 'mvtec', '--root', root, ...MODEL_FLAGS, '--out', out, ...extra);
}

function f32(tensors: TensorMap, key: string): Float32Array {
  const t = tensors.get(key);
  expect(t, key).toBeDefined();
  expect(t!.dtype, key).toBe('F32');
  return t!.data as Float32Array;
}

/** ‖a − b‖ / ‖b‖. */
function relErrByNorm(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    ref += b[i]! ** 2;
  }
  return Math.sqrt(diff / ref);
}

/** The raw bytes of a tensor's data, so equality is bit-exact (NaN and −0 included). */
function bytesOf(tensors: TensorMap, key: string): Uint8Array {
  const d = tensors.get(key)!.data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function expectSameTensors(actual: TensorMap, expected: TensorMap): void {
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  for (const [key, t] of expected) {
    expect(actual.get(key)!.shape, key).toEqual(t.shape);
    expect(Buffer.from(bytesOf(actual, key)).equals(Buffer.from(bytesOf(expected, key))), `${key} differs`).toBe(true);
  }
}

/** A failed run: non-zero exit, exactly one `aaclip train:` error line, containing every given text. */
function expectOneLineError(result: CliResult, ...mentions: string[]): string {
  expect(result.code).not.toBe(0);
  const errors = result.stderr.split('\n').filter((line) => line.startsWith('aaclip train:'));
  expect(errors, result.stderr).toHaveLength(1);
  for (const text of mentions) expect(errors[0]).toContain(text);
  return errors[0]!;
}

/** Nothing a finished run writes: neither the adapters nor a checkpoint. */
function expectNothingWritten(out: string): void {
  expect(existsSync(path.join(out, ADAPTERS_FILE))).toBe(false);
  expect(existsSync(path.join(out, 'checkpoints'))).toBe(false);
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-train-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('aaclip train --save-first-grads matches the reference first step', () => {
  let expected: TensorMap;
  let initial: TensorMap;

  beforeAll(async () => {
    expected = readTensorFile(path.join(TRAIN_FIXTURE, 'expected.safetensors'));
    initial = fixtureTensors('adapters.safetensors');
  });

  const cases = [
    { stage: 'text', reference: 'stage1', adapterPrefix: 'text_adapter.', batch: ['--text-batch', '4'] },
    { stage: 'image', reference: 'stage2', adapterPrefix: 'image_adapter.', batch: ['--image-batch', '4'] },
  ] as const;

  for (const { stage, reference, adapterPrefix, batch } of cases) {
    it(`${stage} stage: loss within 1e-4 and every gradient within 1e-3 of ${reference}_*, and no adapters or checkpoint written`, async () => {
      const out = path.join(work, `first-${stage}`);
      const gradsFile = path.join(work, `first-${stage}.safetensors`);
      const result = await train(TRAIN_ROOT, out, ...INIT_FLAGS, '--stage', stage, '--no-augment', ...batch, '--save-first-grads', gradsFile);
      expect(result.code, result.stderr).toBe(0);
      const grads = readTensorFile(gradsFile);

      // The file holds exactly the stage's adapter keys and "loss"; the reference has a gradient for each.
      const gradPrefix = `${reference}_grad.`;
      const stageKeys = [...initial.keys()].filter((k) => k.startsWith(adapterPrefix)).sort();
      expect(stageKeys.length).toBeGreaterThan(0);
      const referenceKeys = [...expected.keys()].filter((k) => k.startsWith(gradPrefix)).map((k) => k.slice(gradPrefix.length)).sort();
      expect(referenceKeys).toEqual(stageKeys);
      expect([...grads.keys()].sort()).toEqual([...stageKeys, 'loss'].sort());

      const loss = f32(grads, 'loss');
      expect(grads.get('loss')!.shape).toEqual([1]);
      const referenceLoss = f32(expected, `${reference}_loss`)[0]!;
      expect(Math.abs(loss[0]! - referenceLoss) / Math.abs(referenceLoss)).toBeLessThan(LOSS_REL_TOL);

      for (const key of stageKeys) {
        expect(grads.get(key)!.shape, key).toEqual(initial.get(key)!.shape);
        const err = relErrByNorm(f32(grads, key), f32(expected, `${gradPrefix}${key}`));
        expect(err, key).toBeLessThan(GRAD_REL_TOL);
      }
      expectNothingWritten(out);
    });
  }
});

describe('aaclip train: a short full run (one epoch of each stage)', () => {
  const defaults = defaultTrainingSettings();
  let out: string;
  let result: CliResult;

  beforeAll(async () => {
    out = path.join(work, 'full');
    result = await train(TRAIN_ROOT, out, '--text-epochs', '1', '--image-epochs', '1', '--no-augment');
  });

  it('exits 0 and writes the adapters, a checkpoint per stage and the log', async () => {
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(path.join(out, ADAPTERS_FILE));
    expect((await readdir(out)).sort()).toEqual([ADAPTERS_FILE, 'checkpoints', 'train.log']);
    expect((await readdir(path.join(out, 'checkpoints'))).sort()).toEqual(['image_epoch_001.safetensors', 'text_epoch_001.safetensors']);
  });

  it('writes every adapter of the model; the final adapters are those of the last checkpoint, the text ones those of stage 1', async () => {
    const adapters = readTensorFile(path.join(out, ADAPTERS_FILE));
    const reference = fixtureTensors('adapters.safetensors');
    expect([...adapters.keys()].sort()).toEqual([...reference.keys()].sort());
    for (const [key, t] of reference) expect(adapters.get(key)!.shape, key).toEqual(t.shape);

    const textCheckpoint = readTensorFile(path.join(out, 'checkpoints/text_epoch_001.safetensors'));
    const imageCheckpoint = readTensorFile(path.join(out, 'checkpoints/image_epoch_001.safetensors'));
    for (const key of adapters.keys()) {
      expect(Buffer.from(bytesOf(adapters, key)).equals(Buffer.from(bytesOf(imageCheckpoint, key))), key).toBe(true);
      if (key.startsWith('text_adapter.')) expect(Buffer.from(bytesOf(adapters, key)).equals(Buffer.from(bytesOf(textCheckpoint, key))), key).toBe(true);
    }
    // Stage 2 moved the image adapters away from where stage 1 left them.
    const moved = [...adapters.keys()].filter((k) => k.startsWith('image_adapter.') && !Buffer.from(bytesOf(adapters, k)).equals(Buffer.from(bytesOf(textCheckpoint, k))));
    expect(moved.length).toBeGreaterThan(0);
  });

  it('logs one JSON line per step with stage, epoch, step, loss, lr and images/s', async () => {
    const lines = (await readFile(path.join(out, 'train.log'), 'utf8')).trim().split('\n');
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const textSteps = Math.ceil(TRAIN_IMAGE_COUNT / defaults.text.batchSize);
    const imageSteps = Math.ceil(TRAIN_IMAGE_COUNT / defaults.image.batchSize);
    expect(entries.map((e) => [e.stage, e.epoch, e.step])).toEqual([
      ...Array.from({ length: textSteps }, (_, i) => ['text', 1, i + 1]),
      ...Array.from({ length: imageSteps }, (_, i) => ['image', 1, i + 1]),
    ]);
    for (const e of entries) {
      expect(Number.isFinite(e.loss), JSON.stringify(e)).toBe(true);
      expect(e.lr).toBe(e.stage === 'text' ? defaults.text.learningRate : defaults.image.learningRate);
      expect(typeof e.imagesPerSecond === 'number' && e.imagesPerSecond > 0, JSON.stringify(e)).toBe(true);
    }
  });

  it('aaclip detect --adapters loads the trained adapters and scores the fixture images', async () => {
    const images = ['img0.png', 'img1.png', 'img2.png'].map((f) => fixtureFile(`images/${f}`));
    const detectOut = path.join(work, 'detect-trained');
    const detect = await aaclip('detect', ...MODEL_FLAGS, '--class-name', 'bottle', '--adapters', path.join(out, ADAPTERS_FILE), '--out', detectOut, ...images);
    expect(detect.code, detect.stderr).toBe(0);
    const scores = JSON.parse(await readFile(path.join(detectOut, 'scores.json'), 'utf8')) as { image: string; image_score: number; pixel_max: number }[];
    expect(scores.map((s) => s.image)).toEqual(images);
    for (const s of scores) {
      expect(Number.isFinite(s.image_score) && s.image_score >= 0 && s.image_score <= 1, JSON.stringify(s)).toBe(true);
      expect(Number.isFinite(s.pixel_max), JSON.stringify(s)).toBe(true);
    }
    const maps = readTensorFile(path.join(detectOut, 'maps.safetensors'));
    for (const image of images) {
      expect(maps.get(image)!.shape).toEqual([48, 48]);
      expect(f32(maps, image).every(Number.isFinite)).toBe(true);
    }
  });
});

describe('aaclip train --resume continues exactly where the run stopped', () => {
  for (const augment of [false, true]) {
    const label = augment ? 'augmented' : 'plain';
    it(`${augment ? 'with' : 'without'} augmentation: 1 epoch then --resume to 2 gives the same adapters and checkpoint as 2 epochs at once`, async () => {
      const flags = [...INIT_FLAGS, '--stage', 'text', '--text-batch', '2', ...(augment ? [] : ['--no-augment'])];
      const straight = path.join(work, `straight-${label}`);
      const resumed = path.join(work, `resumed-${label}`);
      const twoEpochs = await train(TRAIN_ROOT, straight, ...flags, '--text-epochs', '2');
      expect(twoEpochs.code, twoEpochs.stderr).toBe(0);
      const first = await train(TRAIN_ROOT, resumed, ...flags, '--text-epochs', '1');
      expect(first.code, first.stderr).toBe(0);
      const afterOne = readTensorFile(path.join(resumed, ADAPTERS_FILE));
      const second = await train(TRAIN_ROOT, resumed, ...flags, '--text-epochs', '2', '--resume');
      expect(second.code, second.stderr).toBe(0);

      const expected = readTensorFile(path.join(straight, ADAPTERS_FILE));
      const actual = readTensorFile(path.join(resumed, ADAPTERS_FILE));
      expectSameTensors(actual, expected);
      // The resumed run did train: epoch 2 changed the text adapters.
      expect([...actual.keys()].some((k) => !Buffer.from(bytesOf(actual, k)).equals(Buffer.from(bytesOf(afterOne, k))))).toBe(true);
      // Adam's state and the step count carried over too.
      const checkpoint = 'checkpoints/text_epoch_002.safetensors';
      expectSameTensors(readTensorFile(path.join(resumed, checkpoint)), readTensorFile(path.join(straight, checkpoint)));
      // The log of the resumed run goes on from the first one's.
      const epochs = (await readFile(path.join(resumed, 'train.log'), 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { epoch: number }).epoch);
      expect(epochs).toEqual([1, 1, 2, 2]);

      // The same folder without --resume is refused, and nothing in it changes.
      const before = await readFile(path.join(resumed, ADAPTERS_FILE));
      const again = await train(TRAIN_ROOT, resumed, ...flags, '--text-epochs', '2');
      expectOneLineError(again, resumed, '--resume');
      expect((await readFile(path.join(resumed, ADAPTERS_FILE))).equals(before)).toBe(true);
      expect((await readdir(path.join(resumed, 'checkpoints'))).sort()).toEqual(['text_epoch_001.safetensors', 'text_epoch_002.safetensors']);
    });
  }
});

describe('aaclip train refuses bad input in one line, writing nothing', () => {
  /** An MVTec-layout copy of tiny-train's bottle class holding only the given files (paths under bottle/). */
  async function datasetWith(name: string, files: readonly string[]): Promise<string> {
    const root = path.join(work, name);
    for (const file of files) {
      await mkdir(path.dirname(path.join(root, 'bottle', file)), { recursive: true });
      await copyFile(path.join(CLASS_DIR, file), path.join(root, 'bottle', file));
    }
    return root;
  }

  async function adaptersWith(name: string, change: (tensors: TensorMap) => void): Promise<string> {
    const tensors = new Map(fixtureTensors('adapters.safetensors'));
    change(tensors);
    const file = path.join(work, name);
    await writeFile(file, writeSafetensors(tensors));
    return file;
  }

  it('a dataset with no anomalous image', async () => {
    const root = await datasetWith('only-good', ['train/good/000.png', 'test/good/000.png', 'test/good/001.png']);
    const out = path.join(work, 'out-only-good');
    expectOneLineError(await train(root, out, ...INIT_FLAGS, '--no-augment'), root, 'anomalous');
    expectNothingWritten(out);
  });

  it('an anomalous image without its mask', async () => {
    const root = await datasetWith('no-mask', [
      'train/good/000.png', 'test/good/000.png', 'test/good/001.png', 'test/broken/002.png', 'test/broken/003.png', 'ground_truth/broken/002_mask.png',
    ]);
    const out = path.join(work, 'out-no-mask');
    expectOneLineError(await train(root, out, ...INIT_FLAGS, '--no-augment'), '003.png', 'mask');
    expectNothingWritten(out);
  });

  it('--init-adapters of another model size names the tensor', async () => {
    const key = 'text_adapter.0.fc.0.weight';
    const file = await adaptersWith('wrong-size.safetensors', (tensors) => {
      const [rows, cols] = tensors.get(key)!.shape as [number, number];
      tensors.set(key, { dtype: 'F32', shape: [rows + 8, cols + 8], data: new Float32Array((rows + 8) * (cols + 8)) });
    });
    const out = path.join(work, 'out-wrong-size');
    expectOneLineError(await train(TRAIN_ROOT, out, '--init-adapters', file, '--no-augment'), key);
    expectNothingWritten(out);
  });

  it('--stage nonsense', async () => {
    const out = path.join(work, 'out-stage');
    expectOneLineError(await train(TRAIN_ROOT, out, '--stage', 'nonsense'), '--stage', 'nonsense');
    expectNothingWritten(out);
  });

  it('--text-lr abc', async () => {
    const out = path.join(work, 'out-lr');
    expectOneLineError(await train(TRAIN_ROOT, out, '--text-lr', 'abc'), '--text-lr', 'abc');
    expectNothingWritten(out);
  });

  it('a NaN in the init adapters is refused at load, naming the file and the tensor, before any step', async () => {
    const file = await adaptersWith('nan.safetensors', (tensors) => {
      const t = tensors.get('text_adapter.0.fc.0.weight')!;
      const data = Float32Array.from(t.data as Float32Array);
      data[0] = Number.NaN;
      tensors.set('text_adapter.0.fc.0.weight', { ...t, data });
    });
    const out = path.join(work, 'out-nan');
    const line = expectOneLineError(
      await train(TRAIN_ROOT, out, '--init-adapters', file, '--stage', 'text', '--no-augment', '--text-batch', '4'),
      `${file}: text_adapter.0.fc.0.weight holds NaN at index 0`,
    );
    expect(line).not.toContain('step 1');
    expectNothingWritten(out);
  });
});
