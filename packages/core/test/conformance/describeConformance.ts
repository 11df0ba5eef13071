// The conformance suite as vitest cases, written once and run by every backend's test file:
// one test per parity case, each asserting the measured error against the fixture's tolerance.
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, serializeModel, type Backend } from '@aaclip/core';
import { CONFORMANCE_CASES, formatConformanceReport, runConformanceSuite, type ConformanceReport } from '@aaclip/core/testing';
import { loadConformanceFiles } from '../../../../test-support/fixtureLoader.js';

export interface ConformanceSubject {
  /** e.g. "node/cpu". */
  readonly label: string;
  readonly backend: () => Backend | Promise<Backend>;
  readonly device: string;
  /**
   * An optional device may be absent on the machine: when its `init` fails, the cases are skipped
   * with the reason printed. A required device that fails to start fails every case.
   */
  readonly optional?: boolean;
}

/**
 * Starts the device and runs a one-node model on it: some providers pass `init` and fail only
 * when a session asks for hardware (onnxruntime-node's webgpu without an adapter).
 */
async function probeDevice(backend: Backend, device: string): Promise<void> {
  await backend.init(device);
  const g = new GraphBuilder('probe');
  const x = g.input('x', 'F32', [2]);
  g.output(g.add(x, x), 'y', 'F32', [2]);
  const session = await backend.createSession(serializeModel(g.build()), { device });
  try {
    const out = await session.run({ x: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } });
    if (out.y?.data[1] !== 4) throw new Error('a one-node probe model gave a wrong result');
  } finally {
    await session.dispose();
  }
}

export function describeConformance(subject: ConformanceSubject): void {
  describe(`conformance on ${subject.label}`, () => {
    let report: ConformanceReport | undefined;
    let unavailable: string | undefined;

    beforeAll(async () => {
      const backend = await subject.backend();
      try {
        await probeDevice(backend, subject.device);
      } catch (err) {
        unavailable = (err instanceof Error ? err.message : String(err)).split('\n')[0];
        if (subject.optional) console.warn(`conformance on ${subject.label}: SKIPPED, device unavailable: ${unavailable}`);
        return;
      }
      report = await runConformanceSuite(loadConformanceFiles(), { backend, device: subject.device });
      console.log(formatConformanceReport(report));
    });

    for (const c of CONFORMANCE_CASES) {
      it(`${c.id}: ${c.description}, within ${c.tolerance}`, (ctx) => {
        if (unavailable !== undefined) {
          if (subject.optional) ctx.skip(`${subject.label} unavailable: ${unavailable}`);
          throw new Error(`${subject.label} did not start: ${unavailable}`);
        }
        const result = report!.results.find((r) => r.id === c.id);
        expect(result, `${c.id} ran`).toBeDefined();
        expect(result!.error, `${c.id} error`).toBeUndefined();
        expect(result!.maxError, `${c.id} max error`).toBeLessThanOrEqual(c.tolerance);
        expect(result!.passed).toBe(true);
      });
    }
  });
}
