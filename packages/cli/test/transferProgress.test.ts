import { describe, expect, it } from 'vitest';
import { createTransferProgress } from '../src/output/transferProgress.js';

/** A stand-in for process.stderr that records what is written. */
function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  const chunks: string[] = [];
  return Object.assign({ isTTY, columns: 120, write: (s: string) => chunks.push(s) > 0 }, { text: () => chunks.join('') }) as unknown as NodeJS.WriteStream & { text: () => string };
}

describe('the download progress line', () => {
  it('on a terminal: a bar with bytes done, total and rate, redrawn in place, cleared at the end', () => {
    const stream = fakeStream(true);
    const progress = createTransferProgress(stream);
    progress({ kind: 'start', file: 'open_clip_model.safetensors', total: 1_710_000_000, resumedFrom: 500_000_000 });
    expect(stream.text()).toContain('\r\x1b[2K[#######.................] 500 MB / 1.71 GB  0 B/s  open_clip_model.safetensors');
    progress({ kind: 'done', file: 'open_clip_model.safetensors', total: 1_710_000_000 });
    expect(stream.text()).toMatch(/open_clip_model\.safetensors: 1\.71 GB in \d+\.\d s\n$/);
    progress.done();
  });

  it('off a terminal: no bar, one line per finished or retried file', () => {
    const stream = fakeStream(false);
    const progress = createTransferProgress(stream);
    progress({ kind: 'start', file: 'a.bin', total: 2000, resumedFrom: 0 });
    progress({ kind: 'bytes', file: 'a.bin', done: 1000, total: 2000 });
    progress({ kind: 'retry', file: 'a.bin', attempt: 1, reason: 'the transfer was cut at 1000 of 2000 bytes', delayMs: 1000 });
    progress({ kind: 'done', file: 'a.bin', total: 2000 });
    progress({ kind: 'cached', file: 'b.json', total: 10 });
    progress.done();
    expect(stream.text().split('\n')).toEqual([
      'a.bin: the transfer was cut at 1000 of 2000 bytes; trying again in 1.0 s (try 2)',
      expect.stringMatching(/^a\.bin: 2.00 kB in \d+\.\d s$/),
      '',
    ]);
  });
});
