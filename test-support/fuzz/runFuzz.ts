// How the fuzz tests run a property: a fixed seed per property (CI is reproducible; fast-check
// prints the seed and the shrunk counterexample's path on failure), and a bound on the process's
// peak memory over the whole run, which also catches a case that allocated and freed gigabytes.
//
// AACLIP_FUZZ_SEED=<n> runs every property with another seed; AACLIP_FUZZ_RUNS_SCALE=<x> runs each
// property x times as many cases (e.g. 20 for a longer hunt than CI's).
import fc from 'fast-check';
import { peakRssBytes } from './boundedRead.js';

/** The peak resident memory of the test process may grow at most this much during one property. */
export const FUZZ_PEAK_RSS_GROWTH_BYTES = 1024 * 1024 * 1024;

function envNumber(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}=${text} is not a positive number`);
  return value;
}

/** Checks `property` on `numRuns` cases drawn from `seed` (or the environment's overrides). */
export async function runFuzz<Ts>(property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>, seed: number, numRuns: number): Promise<void> {
  const peakBefore = peakRssBytes();
  const runs = Math.max(1, Math.round(numRuns * (envNumber('AACLIP_FUZZ_RUNS_SCALE') ?? 1)));
  await fc.assert(property, { seed: envNumber('AACLIP_FUZZ_SEED') ?? seed, numRuns: runs, endOnFailure: false });
  const grown = peakRssBytes() - peakBefore;
  if (grown > FUZZ_PEAK_RSS_GROWTH_BYTES) {
    throw new Error(`the process's peak memory grew by ${(grown / 2 ** 20).toFixed(0)} MiB during the property, more than ${FUZZ_PEAK_RSS_GROWTH_BYTES / 2 ** 20} MiB`);
  }
}
