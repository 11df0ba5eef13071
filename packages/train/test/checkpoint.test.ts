import { mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Adam, AaclipError, defaultTrainingSettings, readSafetensors, writeSafetensors, type ExpectedShapes, type Tensor } from '@aaclip/core';
import {
  checkpointPath,
  findLatestCheckpoint,
  readCheckpoint,
  stageAdapterShapes,
  writeCheckpoint,
  xavierUniformAdapters,
  type TrainingCheckpoint,
  type TrainingStage,
} from '@aaclip/train';
import { biggerShapes, tinyAdapterShapes } from './modelShapes.js';

let work: string;
let shapes: ExpectedShapes;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-train-ckpt-'));
  shapes = await tinyAdapterShapes();
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const floats = (t: Tensor): Float32Array => t.data as Float32Array;

/** Adam over the stage's weights of `adapters`, after `steps` steps with seeded gradients. */
function trainedAdam(adapters: Map<string, Tensor>, modelShapes: ExpectedShapes, stage: TrainingStage, steps: number): Adam {
  const stageShapes = stageAdapterShapes(modelShapes, stage);
  const parameters = new Map([...stageShapes.keys()].map((k) => [k, floats(adapters.get(k)!)]));
  const adam = new Adam(parameters, defaultTrainingSettings().adam, stageShapes);
  for (let s = 0; s < steps; s++) {
    const grads = xavierUniformAdapters(stageShapes, 100 + s);
    adam.step(new Map([...grads].map(([k, t]) => [k, floats(t)])), 1e-3);
  }
  return adam;
}

/** A checkpoint of `stage` after a few steps, with distinct values everywhere, for the model of `modelShapes`. */
function sampleCheckpoint(stage: TrainingStage, epoch: number, modelShapes: ExpectedShapes = shapes): TrainingCheckpoint {
  const adapters = new Map(xavierUniformAdapters(modelShapes, 5));
  const adam = trainedAdam(adapters, modelShapes, stage, 2);
  return { stage, epoch, globalStep: epoch * 3 + 1, seed: 111, adapters, optimizer: adam.state() };
}

describe('checkpoints', () => {
  it('round-trip adapters, Adam state and the run\'s position, under the reference\'s key names', async () => {
    const original = sampleCheckpoint('image', 2);
    const file = checkpointPath(work, 'image', 2);
    expect(path.relative(work, file)).toBe(path.join('checkpoints', 'image_epoch_002.safetensors'));
    await writeCheckpoint(file, original);

    const raw = readSafetensors(new Uint8Array(await readFile(file)), file);
    expect(raw.metadata).toMatchObject({ stage: 'image', epoch: '2', global_step: '7', seed: '111', format_version: '1' });
    expect(raw.tensors.has('text_adapter.0.fc.0.weight')).toBe(true);
    expect(raw.tensors.has('image_adapter.det_proj.fc.weight')).toBe(true);
    expect(raw.tensors.has('optimizer.image_adapter.seg_proj.0.fc.weight.exp_avg')).toBe(true);
    expect(raw.tensors.has('optimizer.image_adapter.seg_proj.0.fc.weight.exp_avg_sq')).toBe(true);
    expect(raw.tensors.get('optimizer.image_adapter.seg_proj.0.fc.weight.step')).toMatchObject({ dtype: 'F32', shape: [] });
    expect([...raw.tensors.keys()].some((k) => k.startsWith('optimizer.text_adapter.'))).toBe(false);

    const back = await readCheckpoint(file, shapes);
    expect({ stage: back.stage, epoch: back.epoch, globalStep: back.globalStep, seed: back.seed }).toEqual({ stage: 'image', epoch: 2, globalStep: 7, seed: 111 });
    expect([...back.adapters.keys()]).toEqual([...shapes.keys()]);
    for (const [key, t] of original.adapters) expect(back.adapters.get(key)!.data).toEqual(t.data);
    expect([...back.optimizer.keys()].sort()).toEqual([...original.optimizer.keys()].sort());
    for (const [key, t] of original.optimizer) expect(back.optimizer.get(key)!.data).toEqual(t.data);
    // The state goes back into core's Adam, which continues exactly as the uninterrupted one.
    const resumedWeights = new Map([...back.adapters].map(([k, t]) => [k, { ...t, data: floats(t).slice() }]));
    const stageShapes = stageAdapterShapes(shapes, 'image');
    const resumed = new Adam(new Map([...stageShapes.keys()].map((k) => [k, floats(resumedWeights.get(k)!)])), defaultTrainingSettings().adam, stageShapes);
    resumed.loadState(back.optimizer, file);
    const uninterrupted = new Map(xavierUniformAdapters(shapes, 5));
    trainedAdam(uninterrupted, shapes, 'image', 3);
    const grads = xavierUniformAdapters(stageShapes, 102);
    resumed.step(new Map([...grads].map(([k, t]) => [k, floats(t)])), 1e-3);
    expect(resumed.stepCount('image_adapter.det_proj.fc.weight')).toBe(3);
    for (const key of stageShapes.keys()) expect(floats(resumedWeights.get(key)!)).toEqual(floats(uninterrupted.get(key)!));
  });

  it('a checkpoint of another model size fails naming the tensor and both shapes', async () => {
    const file = path.join(work, 'other-size.safetensors');
    await writeCheckpoint(file, sampleCheckpoint('text', 1, biggerShapes(shapes)));
    const [firstKey, firstShape] = [...shapes][0]!;
    const err = await readCheckpoint(file, shapes).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AaclipError);
    expect((err as AaclipError).source).toBe(file);
    expect((err as AaclipError).problem).toMatch(
      new RegExp(`^${firstKey.replace(/\./g, '\\.')} has shape \\[${firstShape.map((d) => d * 2).join(', ')}\\], the config needs \\[${firstShape.join(', ')}\\]`),
    );
  });

  it('a truncated, corrupt, foreign or missing file fails naming it', async () => {
    const good = path.join(work, 'good.safetensors');
    await writeCheckpoint(good, sampleCheckpoint('text', 1));
    const bytes = await readFile(good);

    const cut = path.join(work, 'cut.safetensors');
    await writeFile(cut, bytes);
    await truncate(cut, bytes.length - 100);
    await expect(readCheckpoint(cut, shapes)).rejects.toThrowError(new RegExp(`^${cut}: tensor ".*": data_offsets end \\d+ is past the end of the data`));

    const garbage = path.join(work, 'garbage.safetensors');
    await writeFile(garbage, Buffer.from('this is not a checkpoint at all'));
    await expect(readCheckpoint(garbage, shapes)).rejects.toThrowError(new RegExp(`^${garbage}: header length \\d+ is past the end of the file`));

    const empty = path.join(work, 'empty.safetensors');
    await writeFile(empty, Buffer.alloc(0));
    await expect(readCheckpoint(empty, shapes)).rejects.toThrowError(`${empty}: file is 0 bytes, too short for a safetensors header`);

    // The adapters file of a finished run is not a checkpoint.
    const adaptersOnly = path.join(work, 'adapters.safetensors');
    await writeFile(adaptersOnly, writeSafetensors(xavierUniformAdapters(shapes, 1)));
    await expect(readCheckpoint(adaptersOnly, shapes)).rejects.toThrowError(`${adaptersOnly}: not a training checkpoint`);

    await expect(readCheckpoint(path.join(work, 'absent.safetensors'), shapes)).rejects.toThrowError(/absent\.safetensors: no such file/);
  });

  it('a missing Adam moment names it', async () => {
    const partial = sampleCheckpoint('text', 1);
    const optimizer = new Map(partial.optimizer);
    optimizer.delete('text_adapter.1.fc.0.weight.exp_avg');
    const file = path.join(work, 'partial.safetensors');
    await writeCheckpoint(file, { ...partial, optimizer });
    await expect(readCheckpoint(file, shapes)).rejects.toThrowError(/missing tensor "optimizer\.text_adapter\.1\.fc\.0\.weight\.exp_avg"/);
  });

  it('are written atomically: a failed write leaves the previous file and no partial one', async () => {
    const dir = path.join(work, 'atomic');
    const file = checkpointPath(dir, 'text', 1);
    await writeCheckpoint(file, sampleCheckpoint('text', 1));
    const before = await readFile(file);

    // A tensor whose data does not match its shape fails while serialising.
    const broken = sampleCheckpoint('text', 2);
    const adapters = new Map(broken.adapters);
    adapters.set('text_adapter.0.fc.0.weight', { dtype: 'F32', shape: [48, 48], data: new Float32Array(7) });
    await expect(writeCheckpoint(file, { ...broken, adapters })).rejects.toThrowError(/does not match its data/);
    // The rename onto the target fails (the target is a folder).
    const blocked = checkpointPath(dir, 'text', 2);
    await mkdir(blocked, { recursive: true });
    await expect(writeCheckpoint(blocked, sampleCheckpoint('text', 2))).rejects.toThrow();

    expect(await readFile(file)).toEqual(before);
    await rm(blocked, { recursive: true });
    expect(await readdir(path.dirname(file))).toEqual(['text_epoch_001.safetensors']);
    await expect(findLatestCheckpoint(dir, 'text')).resolves.toEqual({ file, epoch: 1 });
  });

  it('--resume finds the latest checkpoint of a stage, ignoring temporary files and other stages', async () => {
    const dir = path.join(work, 'resume');
    await expect(findLatestCheckpoint(dir, 'text')).resolves.toBeNull();
    for (const epoch of [1, 2, 10]) await writeCheckpoint(checkpointPath(dir, 'text', epoch), sampleCheckpoint('text', epoch));
    await writeCheckpoint(checkpointPath(dir, 'image', 4), sampleCheckpoint('image', 4));
    await writeFile(path.join(dir, 'checkpoints', '.text_epoch_011.safetensors.a1b2c3.tmp'), 'partial');
    await expect(findLatestCheckpoint(dir, 'text')).resolves.toEqual({ file: checkpointPath(dir, 'text', 10), epoch: 10 });
    await expect(findLatestCheckpoint(dir, 'image')).resolves.toEqual({ file: checkpointPath(dir, 'image', 4), epoch: 4 });
    const latest = await findLatestCheckpoint(dir, 'text');
    expect((await readCheckpoint(latest!.file, shapes)).epoch).toBe(10);
  });
});
