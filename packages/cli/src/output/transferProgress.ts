import type { TransferEvent, TransferListener } from '@aaclip/hub';
import { formatBytes } from './formatBytes.js';

/** How often the line is redrawn at most. */
const REDRAW_MS = 100;

/**
 * A download progress line on stderr: `[#####.....] 412 MB / 1.71 GB  38.2 MB/s  <file>`, redrawn
 * in place on a terminal. Without a terminal (a log, a pipe) it writes one line per finished or
 * retried file instead of the bar. Call `done()` when the pull is over.
 */
export function createTransferProgress(stream: NodeJS.WriteStream): TransferListener & { done(): void } {
  const tty = Boolean(stream.isTTY);
  let shown = false;
  let lastDraw = 0;
  let started = 0;
  let resumedFrom = 0;
  const clear = () => {
    if (tty && shown) stream.write('\r\x1b[2K');
    shown = false;
  };
  const draw = (file: string, done: number, total: number, force: boolean) => {
    const now = Date.now();
    if (!tty || (!force && now - lastDraw < REDRAW_MS)) return;
    lastDraw = now;
    const seconds = (now - started) / 1000;
    const rate = seconds > 0 ? (done - resumedFrom) / seconds : 0;
    const width = 24;
    const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : width;
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${formatBytes(done)} / ${formatBytes(total)}  ${formatBytes(Math.round(rate))}/s  ${file}`;
    const columns = Math.max(20, (stream.columns ?? 80) - 1);
    stream.write(`\r\x1b[2K${line.length > columns ? line.slice(0, columns - 1) + '…' : line}`);
    shown = true;
  };
  const listener = (event: TransferEvent): void => {
    switch (event.kind) {
      case 'start':
        started = Date.now();
        resumedFrom = event.resumedFrom;
        draw(event.file, event.resumedFrom, event.total, true);
        break;
      case 'bytes':
        draw(event.file, event.done, event.total, false);
        break;
      case 'done': {
        const seconds = (Date.now() - started) / 1000;
        clear();
        stream.write(`${event.file}: ${formatBytes(event.total)} in ${seconds.toFixed(1)} s\n`);
        break;
      }
      case 'cached':
        break;
      case 'retry':
        clear();
        stream.write(`${event.file}: ${event.reason}; trying again in ${(event.delayMs / 1000).toFixed(1)} s (try ${event.attempt + 1})\n`);
        break;
    }
  };
  return Object.assign(listener, { done: clear });
}
