// `aaclip detect --precision` and `--no-rewrites` on the fixture: int8 maps follow the golden
// ones (correlation ≥ 0.99, within the conformance suite's int8 tolerance), plain ops keep the
// float32 tolerance, and a precision the device cannot run is refused naming the device.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TensorMap } from '@aaclip/core';
import { MIN_MAP_CORRELATION, PRECISION_TOLERANCES, maxAbsError, pearsonCorrelation } from '@aaclip/core/testing';
import { aaclip } from './runCli.js';
import { FIXTURE_MODEL_FLAGS, fixtureFile } from '../../../test-support/fixture.js';
import { fixtureTensors, readTensorFile } from '../../../test-support/fixtureLoader.js';

// img2.png needs no resize: its map is the golden one's up to the model's arithmetic.
const IMAGE = fixtureFile('images/img2.png');
const FLAGS = [...FIXTURE_MODEL_FLAGS, '--class-name', 'dark bottle', '--no-cache'];

let work: string;
let golden: Float32Array;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'aaclip-precision-'));
  const tensors: TensorMap = fixtureTensors('golden.safetensors');
  golden = (tensors.get('anomaly_map')!.data as Float32Array).subarray(2 * 48 * 48, 3 * 48 * 48);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function detectMap(name: string, ...flags: string[]): Promise<Float32Array> {
  const out = path.join(work, name);
  const r = await aaclip('detect', ...FLAGS, ...flags, '--out', out, IMAGE);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return readTensorFile(path.join(out, 'maps.safetensors')).get(IMAGE)!.data as Float32Array;
}

describe('aaclip detect --precision', () => {
  it('int8 on cpu: the map correlates with the golden one at 0.99 or better, within the int8 tolerance', async () => {
    const map = await detectMap('int8', '--precision', 'int8', '--device', 'cpu');
    expect(pearsonCorrelation(map, golden)).toBeGreaterThanOrEqual(MIN_MAP_CORRELATION);
    expect(maxAbsError(map, golden)).toBeLessThan(PRECISION_TOLERANCES.int8.maps);
    expect(maxAbsError(map, golden)).toBeGreaterThan(PRECISION_TOLERANCES.fp32.maps); // it did run quantised
  });

  it('--no-rewrites: plain ONNX ops, the float32 tolerance', async () => {
    const map = await detectMap('plain', '--no-rewrites');
    expect(maxAbsError(map, golden)).toBeLessThan(PRECISION_TOLERANCES.fp32.maps);
  });

  it('refuses a precision the device cannot run, naming the device and what it runs, and an unknown one', async () => {
    const web = await aaclip('detect', ...FLAGS, '--backend', 'web', '--device', 'wasm', '--precision', 'fp16', '--out', path.join(work, 'web'), IMAGE);
    expect(web.code).not.toBe(0);
    expect(web.stderr.trim()).toMatch(/web\/wasm cannot run "fp16" \(it runs: fp32, int8\)$/);
    const bad = await aaclip('detect', ...FLAGS, '--precision', 'int4', '--out', path.join(work, 'bad'), IMAGE);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim()).toMatch(/--precision: expected fp32, fp16, int8, got "int4"$/);
  });
});
