// Types of the demo server (plain JavaScript so `npm run demo:web` runs it directly).
export interface DemoServerOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Extra folders served under /<name>/. */
  mounts?: Record<string, string>;
  /** Bundle the page first (default true). */
  build?: boolean;
}

export function startDemoServer(options?: DemoServerOptions): Promise<{ url: string; close(): Promise<void> }>;
