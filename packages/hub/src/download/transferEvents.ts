/** What a pull reports while it works, for a progress display. */
export type TransferEvent =
  /** A file's bytes start to arrive; `resumedFrom` bytes were already there from a cut transfer. */
  | { readonly kind: 'start'; readonly file: string; readonly total: number; readonly resumedFrom: number }
  | { readonly kind: 'bytes'; readonly file: string; readonly done: number; readonly total: number }
  | { readonly kind: 'done'; readonly file: string; readonly total: number }
  /** The file was already in the cache: nothing transferred. */
  | { readonly kind: 'cached'; readonly file: string; readonly total: number }
  | { readonly kind: 'retry'; readonly file: string; readonly attempt: number; readonly reason: string; readonly delayMs: number };

export type TransferListener = (event: TransferEvent) => void;

/** How hard a download tries. */
export interface RetryPolicy {
  /** Tries per file, the first included (default 5). */
  readonly attempts: number;
  /** The wait before the second try; doubled before each next one (default 1000 ms). */
  readonly firstDelayMs: number;
  /** A transfer with no byte for this long is cut and tried again (default 60 s). */
  readonly stallTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 5, firstDelayMs: 1000, stallTimeoutMs: 60_000 };
