// The conformance suite as vitest cases, written once and run by every backend's test file:
// one test per parity case, each asserting the measured error against the fixture's tolerance.
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, serializeModel, type Backend, type Precision, type RewriteOptions } from '@aaclip/core';
import { conformanceCases, formatConformanceReport, runConformanceSuite, type ConformanceReport } from '@aaclip/core/testing';
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

/** One build of the models a device declares: a precision, with the device's fusions or none. */
interface Variant extends RewriteOptions {
  readonly precision: Precision;
  readonly label: string;
  /** Run the training cases too (once per device: training graphs take no passes). */
  readonly training: boolean;
}

/**
 * Every build the backend declares for the device: fp32 with its fusions (all cases), fp32 with
 * plain ops (the inference cases), and each further precision it declares (the inference cases,
 * at that precision's tolerances). Devices the backend does not know get fp32 only.
 */
function variantsOf(backend: Backend | undefined, device: string): Variant[] {
  let precisions: readonly Precision[] = ['fp32'];
  try {
    precisions = backend?.capabilities?.(device).precisions ?? precisions;
  } catch {
    // an unknown device: the probe reports it
  }
  return [
    { precision: 'fp32', label: 'fp32', training: true },
    { precision: 'fp32', rewrites: false, label: 'fp32, plain ops', training: false },
    ...precisions.filter((p) => p !== 'fp32').map((precision): Variant => ({ precision, label: precision, training: false })),
  ];
}

export function describeConformance(subject: ConformanceSubject): void {
  // The variants are listed before the backend starts (vitest collects tests synchronously), from
  // a backend made for the listing only.
  const listed = subject.backend();
  const variants = listed instanceof Promise ? variantsOf(undefined, subject.device) : variantsOf(listed, subject.device);
  for (const variant of variants) describeVariant(subject, variant);
}

function describeVariant(subject: ConformanceSubject, variant: Variant): void {
  describe(`conformance on ${subject.label}, ${variant.label}`, () => {
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
      report = await runConformanceSuite(
        loadConformanceFiles(),
        { backend, device: subject.device, precision: variant.precision, ...(variant.rewrites === undefined ? {} : { rewrites: variant.rewrites }) },
        { training: variant.training },
      );
      console.log(formatConformanceReport(report));
    });

    for (const c of conformanceCases(variant.precision, variant.training)) {
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
