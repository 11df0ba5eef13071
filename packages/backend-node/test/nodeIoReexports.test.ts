// The Node file I/O moved to @aaclip/node-io; backend-node re-exports it so existing imports keep
// working. '@aaclip/backend-node/node-io' still registers nothing and loads no onnxruntime-node
// (this file runs in its own forked process); the main entry registers and exports the same names.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { listBackends } from '@aaclip/core';
import * as nodeIo from '@aaclip/node-io';

const require = createRequire(import.meta.url);
const onnxruntimeFiles = (): string[] => Object.keys(require.cache).filter((file) => /onnxruntime/i.test(file));

describe('backend-node re-exports @aaclip/node-io', () => {
  it("'@aaclip/backend-node/node-io' exports the same objects and registers nothing", async () => {
    const entry = await import('@aaclip/backend-node/node-io');
    expect(Object.keys(entry).sort()).toEqual(Object.keys(nodeIo).sort());
    for (const [name, value] of Object.entries(nodeIo)) expect(entry[name as keyof typeof entry], name).toBe(value);
    expect(listBackends()).toEqual([]);
    expect(onnxruntimeFiles()).toEqual([]);
  });

  it("'@aaclip/backend-node' registers the node backend and exports the same objects", async () => {
    const main: Record<string, unknown> = await import('@aaclip/backend-node');
    for (const [name, value] of Object.entries(nodeIo)) expect(main[name], name).toBe(value);
    expect(listBackends()).toContain('node');
  });
});
