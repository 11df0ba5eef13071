// The suite itself must be able to fail: a backend whose outputs are off by a known amount, NaN,
// or whose sessions throw, is reported case by case with the measured error.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { AaclipError, type Backend, type DeviceCapabilities, type Precision, type Tensor } from '@aaclip/core';
import {
  CONFORMANCE_CASES,
  conformanceCases,
  formatConformanceReport,
  parseConformanceFixture,
  runConformanceSuite,
  type ConformanceReport,
} from '@aaclip/core/testing';
import { runOnnx } from '../graph/runOnnx.js';
import { loadConformanceFiles } from '../../../../test-support/fixtureLoader.js';
import { hasOp } from '../../../../test-support/onnxReader.js';

interface Tampering {
  /** Changes an output of the session in place. */
  readonly output?: (name: string, data: Float32Array) => void;
  /** Text-model sessions fail to run. */
  readonly failText?: boolean;
  /** What the backend declares for its device; every model it is given is recorded. */
  readonly capabilities?: DeviceCapabilities;
  readonly models?: Uint8Array[];
}

/** A backend on onnxruntime-node (through the graph tests' runner) whose results can be tampered with. */
function tamperedBackend(tampering: Tampering): Backend {
  return {
    name: 'tampered',
    devices: ['cpu'],
    ...(tampering.capabilities === undefined ? {} : { capabilities: () => tampering.capabilities! }),
    async init() {},
    async createSession(model) {
      tampering.models?.push(model.model);
      return {
        inputNames: [],
        outputNames: [],
        async run(feeds: Readonly<Record<string, Tensor>>) {
          if (tampering.failText && 'input_ids' in feeds) throw new Error('text session exploded');
          const ortFeeds = Object.fromEntries(
            Object.entries(feeds).map(([name, t]) => [
              name,
              new ort.Tensor(t.dtype === 'I64' ? 'int64' : 'float32', t.data as Float32Array | BigInt64Array, [...t.shape]),
            ]),
          );
          const out = await runOnnx(model, ortFeeds);
          return Object.fromEntries(
            Object.entries(out).map(([name, value]) => {
              const data = value.data as Float32Array;
              tampering.output?.(name, data);
              return [name, { dtype: 'F32', shape: value.dims.map(Number), data } satisfies Tensor];
            }),
          );
        },
        async dispose() {},
      };
    },
  };
}

const run = (tampering: Tampering, precision: Precision = 'fp32'): Promise<ConformanceReport> =>
  runConformanceSuite(loadConformanceFiles(), { backend: tamperedBackend(tampering), device: 'cpu', precision });

const result = (report: ConformanceReport, id: string) => {
  const found = report.results.find((r) => r.id === id);
  if (!found) throw new Error(`no result for ${id}`);
  return found;
};

describe('conformance suite', () => {
  it('measures an error of 3e-4 put into one seg token and fails only the cases it reaches', async () => {
    const report = await run({ output: (name, data) => name === 'seg_tokens_2' && (data[5] = data[5]! + 3e-4) });
    expect(report.results.map((r) => r.id)).toEqual(CONFORMANCE_CASES.map((c) => c.id));
    const seg = result(report, 'vision.seg_tokens');
    expect(seg.passed).toBe(false);
    expect(seg.maxError).toBeGreaterThan(2.9e-4);
    expect(seg.maxError).toBeLessThan(3.1e-4);
    for (const id of ['vision.det_token', 'text.anchors_adapted', 'text.anchors_plain', 'scores.image_score']) {
      expect(result(report, id).passed, id).toBe(true);
    }
    expect(report.passed).toBe(false);
    expect(formatConformanceReport(report)).toMatch(/^FAIL vision\.seg_tokens +max error 3\.\d\de-4 +tolerance 1e-4$/m);
  });

  it('counts a NaN output as an infinite error', async () => {
    const report = await run({ output: (name, data) => name === 'det_token' && (data[0] = NaN) });
    expect(result(report, 'vision.det_token').maxError).toBe(Infinity);
    expect(result(report, 'vision.det_token').passed).toBe(false);
    expect(result(report, 'vision.seg_tokens').passed).toBe(true);
  });

  it('reports a failing session on the cases that need it, with the reason, and runs the rest', async () => {
    const report = await run({ failText: true });
    for (const id of ['text.anchors_adapted', 'text.anchors_plain']) {
      expect(result(report, id).error).toBe('text session exploded');
      expect(Number.isNaN(result(report, id).maxError)).toBe(true);
    }
    expect(result(report, 'maps.anomaly_map').error).toMatch(/needs the adapted text anchors/);
    expect(result(report, 'vision.seg_tokens').passed).toBe(true);
    expect(report.passed).toBe(false);
    expect(formatConformanceReport(report)).toMatch(/FAIL text\.anchors_plain +max error not run .*\(text session exploded\)/);
  });

  it('builds the models as the pipeline does for the device: its fusions for inference, plain ops for the training steps', async () => {
    const opsOf = (model: Uint8Array): boolean => hasOp(model, 'MultiHeadAttention');
    for (const fused of [true, false]) {
      const models: Uint8Array[] = [];
      const capabilities: DeviceCapabilities = { ops: fused ? ['com.microsoft:MultiHeadAttention'] : [], precisions: ['fp32'] };
      const report = await run({ capabilities, models });
      expect(report.passes).toEqual(fused ? ['fuse-attention'] : []);
      expect(report.passed).toBe(true);
      // Vision, adapted text, plain text, then the two training steps, which are differentiated and so never fused.
      expect(models).toHaveLength(5);
      expect(models.map(opsOf)).toEqual([fused, fused, fused, false, false]);
    }
  });

  it('runs a reduced precision on the inference cases only, at its own tolerances, and refuses one the device lacks', async () => {
    const models: Uint8Array[] = [];
    const capabilities: DeviceCapabilities = { ops: ['com.microsoft:DynamicQuantizeMatMul'], precisions: ['fp32', 'int8'] };
    const report = await run({ capabilities, models }, 'int8');
    expect(report).toMatchObject({ precision: 'int8', passes: ['int8'], training: false, passed: true });
    expect(report.results.map((r) => [r.id, r.tolerance])).toEqual(conformanceCases('int8').map((c) => [c.id, c.tolerance]));
    expect(report.results.some((r) => r.id.startsWith('train.'))).toBe(false);
    // The image tower quantised; the text towers stay float32 (textTowerPasses).
    expect(models.map((m) => hasOp(m, 'DynamicQuantizeMatMul'))).toEqual([true, false, false]);
    expect(formatConformanceReport(report)).toMatch(/^conformance tampered\/cpu, int8 \(int8\): passed/);
    await expect(run({ capabilities }, 'fp16')).rejects.toThrow('tampered/cpu cannot run "fp16" (it runs: fp32, int8)');
  });

  it('fails the map-correlation case for maps that do not follow the golden ones', async () => {
    // Each level's tokens reversed: the maps keep their range but lose their pattern.
    const report = await run({ output: (name, data) => name.startsWith('seg_tokens_') && data.reverse() });
    const correlation = result(report, 'maps.correlation');
    expect(correlation.passed).toBe(false);
    expect(correlation.maxError).toBeGreaterThan(0.01);
  });

  it('names the fixture file when its bytes are not what the suite expects', () => {
    const files = loadConformanceFiles();
    expect(() => parseConformanceFixture({ ...files, config: new TextEncoder().encode('{"model": 1') })).toThrow(AaclipError);
    expect(() => parseConformanceFixture({ ...files, config: new TextEncoder().encode('{"model": 1') })).toThrow(/^config\.json: not valid JSON/);
    expect(() => parseConformanceFixture({ ...files, golden: files.golden.subarray(0, 100) })).toThrow(/^golden\.safetensors: /);
  });
});
