// The property every fuzz test checks of a reader of untrusted bytes: it returns a value or throws
// an AaclipError whose message is one bounded line — any other exception, a case slower than
// FUZZ_CASE_MS or one that holds more than FUZZ_CASE_HEAP_BYTES when it ends is a failure.
import vm from 'node:vm';
import { AaclipError, MAX_ERROR_PROBLEM_LENGTH, MAX_ERROR_SOURCE_LENGTH } from '@aaclip/core';

/** One case may take this long (the inputs are a few KB; a bounded reader needs milliseconds). */
export const FUZZ_CASE_MS = 2000;
/** Heap plus array buffers one case may still hold when it ends (its result or its garbage). */
export const FUZZ_CASE_HEAP_BYTES = 256 * 1024 * 1024;

export type ReadOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: AaclipError };

/** Line breaks and other characters that must not appear in a one-line message. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const MAX_MESSAGE_LENGTH = MAX_ERROR_SOURCE_LENGTH + 2 + MAX_ERROR_PROBLEM_LENGTH;

const heldBytes = (): number => {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
};

/** Throws (failing the property) unless `text` is one line of at most `maxLength` characters. */
export function expectOneLine(text: string, what: string, maxLength = MAX_MESSAGE_LENGTH): void {
  const control = CONTROL.exec(text);
  if (control) {
    throw new Error(`${what} holds the control character U+${control[0].codePointAt(0)!.toString(16).padStart(4, '0')}: ${JSON.stringify(text)}`);
  }
  if (text.length > maxLength) throw new Error(`${what} is ${text.length} characters, more than ${maxLength}`);
}

function classify<T>(caught: unknown): ReadOutcome<T> {
  if (!(caught instanceof AaclipError)) {
    const shown = caught instanceof Error ? `${caught.name}: ${caught.message}\n${caught.stack ?? ''}` : String(caught);
    throw new Error(`the reader threw something other than an AaclipError: ${shown}`);
  }
  expectOneLine(caught.message, 'the AaclipError message');
  return { ok: false, error: caught };
}

/** Per-case bounds; the defaults suit every reader (tests of the harness itself pass smaller ones). */
export interface CaseLimits {
  readonly caseMs?: number;
  readonly heapBytes?: number;
}

function checkBounds(started: number, heldBefore: number, { caseMs = FUZZ_CASE_MS, heapBytes = FUZZ_CASE_HEAP_BYTES }: CaseLimits): void {
  const elapsed = performance.now() - started;
  if (elapsed > caseMs) throw new Error(`one case took ${elapsed.toFixed(0)} ms, more than ${caseMs} ms`);
  const grown = heldBytes() - heldBefore;
  if (grown > heapBytes) {
    throw new Error(`one case grew heap + array buffers by ${(grown / 2 ** 20).toFixed(0)} MiB, more than ${heapBytes / 2 ** 20} MiB`);
  }
}

// A synchronous reader runs inside a vm script with a timeout: V8's watchdog interrupts even an
// endless loop, which no timer in this thread could.
const runCase = new vm.Script('globalThis.__aaclipFuzzCase()');
interface FuzzGlobal {
  __aaclipFuzzCase?: () => unknown;
}

/** Runs a synchronous reader once, bounded in time (interrupted past FUZZ_CASE_MS) and heap. */
export function boundedRead<T>(read: () => T, limits: CaseLimits = {}): ReadOutcome<T> {
  const caseMs = limits.caseMs ?? FUZZ_CASE_MS;
  const heldBefore = heldBytes();
  const started = performance.now();
  let outcome: ReadOutcome<T>;
  const slot = globalThis as FuzzGlobal;
  slot.__aaclipFuzzCase = read;
  try {
    outcome = { ok: true, value: runCase.runInThisContext({ timeout: caseMs }) as T };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      throw new Error(`one case was still running after ${caseMs} ms and was interrupted (a hang)`);
    }
    outcome = classify(err);
  } finally {
    delete slot.__aaclipFuzzCase;
  }
  checkBounds(started, heldBefore, limits);
  return outcome;
}

class FuzzHang extends Error {}

/**
 * Runs an asynchronous reader once, bounded in heap and time: a promise still pending after
 * FUZZ_CASE_MS fails the case (a synchronous stretch cannot be interrupted, but is timed).
 */
export async function boundedReadAsync<T>(read: () => Promise<T>, limits: CaseLimits = {}): Promise<ReadOutcome<T>> {
  const caseMs = limits.caseMs ?? FUZZ_CASE_MS;
  const heldBefore = heldBytes();
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FuzzHang(`one case was still pending after ${caseMs} ms (a hang)`)), caseMs);
  });
  let outcome: ReadOutcome<T>;
  try {
    outcome = { ok: true, value: await Promise.race([read(), hang]) };
  } catch (err) {
    if (err instanceof FuzzHang) throw err;
    outcome = classify(err);
  } finally {
    clearTimeout(timer);
  }
  checkBounds(started, heldBefore, limits);
  return outcome;
}

/** The process's peak resident memory so far, in bytes (it never goes down). */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}
