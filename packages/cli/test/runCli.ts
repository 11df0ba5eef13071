import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { vi } from 'vitest';
import { main } from '../src/main.js';

// The CLI's disk caches go to a folder of this test process, never the user's ~/.cache/aaclip.
process.env['AACLIP_CACHE'] ??= mkdtempSync(path.join(os.tmpdir(), 'aaclip-test-cache-'));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `aaclip <argv>` in-process and captures its exit code and console output. */
export async function aaclip(...argv: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await main(argv);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}
