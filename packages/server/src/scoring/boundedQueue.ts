/** Thrown by BoundedQueue.run when `maxWaiting` tasks already wait: the caller answers 429. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
}

interface Waiting {
  start(): void;
  cancel(reason: unknown): void;
}

/**
 * Runs at most `concurrency` tasks at a time and lets at most `maxWaiting` more wait for a slot,
 * first come first served. A task past that is refused at once (QueueFullError) rather than
 * queued without bound; a waiting task whose signal aborts (its deadline passed, its client went
 * away) leaves the queue without running. A task that has started runs to its end — a model run
 * cannot be interrupted — and holds its slot until then.
 */
export class BoundedQueue {
  private running = 0;
  private readonly waiting: Waiting[] = [];
  // Exponentially weighted mean of task durations, for Retry-After.
  private meanSeconds = 0;

  constructor(
    readonly concurrency: number,
    readonly maxWaiting: number,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    if (!Number.isInteger(maxWaiting) || maxWaiting < 0) throw new RangeError(`maxWaiting must be a whole number, got ${maxWaiting}`);
  }

  /** Tasks waiting for a slot. */
  get depth(): number {
    return this.waiting.length;
  }

  /** Tasks running. */
  get active(): number {
    return this.running;
  }

  /** Seconds until a task queued now would likely start: the waiting work spread over the slots (at least 1). */
  retryAfterSeconds(): number {
    const ahead = this.waiting.length + this.running;
    return Math.max(1, Math.ceil((this.meanSeconds * ahead) / this.concurrency));
  }

  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.running < this.concurrency && this.waiting.length === 0) return this.execute(task);
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(new QueueFullError(`${this.waiting.length} requests are already waiting for the model`));
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => entry.cancel(signal!.reason);
      const entry: Waiting = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          this.execute(task).then(resolve, reject);
        },
        cancel: (reason) => {
          const at = this.waiting.indexOf(entry);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(reason);
        },
      };
      this.waiting.push(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async execute<T>(task: () => Promise<T>): Promise<T> {
    this.running++;
    const started = performance.now();
    try {
      return await task();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.meanSeconds = this.meanSeconds === 0 ? seconds : 0.8 * this.meanSeconds + 0.2 * seconds;
      this.running--;
      this.waiting.shift()?.start();
    }
  }
}
