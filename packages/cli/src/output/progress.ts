/** A one-line progress display on a terminal; silent (but for failures) when stderr is not a TTY. */
export interface Progress {
  status(text: string): void;
  update(done: number, total: number, current: string): void;
  done(): void;
}

export function createProgress(stream: NodeJS.WriteStream): Progress {
  const tty = Boolean(stream.isTTY);
  let shown = false;
  const draw = (line: string) => {
    if (!tty) return;
    const width = Math.max(20, (stream.columns ?? 80) - 1);
    stream.write(`\r\x1b[2K${line.length > width ? line.slice(0, width - 1) + '…' : line}`);
    shown = true;
  };
  return {
    status: (text) => draw(text),
    update(done, total, current) {
      const barWidth = 24;
      const filled = total === 0 ? barWidth : Math.round((done / total) * barWidth);
      draw(`[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${done}/${total} ${current}`);
    },
    done() {
      if (tty && shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
