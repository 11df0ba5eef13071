// Session threads: every core by default (onnxruntime-node would otherwise keep one of two busy on
// small machines), a caller's count when given, and a bad count refused by name.
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, serializeModel } from '@aaclip/core';
import { createNodeBackend, defaultThreads } from '@aaclip/backend-node';

function doubler(): ReturnType<typeof serializeModel> {
  const g = new GraphBuilder('doubler');
  const x = g.input('x', 'F32', [3]);
  g.output(g.add(x, x), 'y', 'F32', [3]);
  return serializeModel(g.build());
}

describe('node backend: threads per model run', () => {
  it('defaults to every core the process may use', () => {
    expect(defaultThreads()).toBe(Math.max(1, os.availableParallelism()));
  });

  it('runs with an explicit thread count and refuses one that is not a whole number ≥ 1', async () => {
    const backend = createNodeBackend();
    await backend.init('cpu');
    for (const threads of [1, 2]) {
      const session = await backend.createSession(doubler(), { device: 'cpu', threads });
      const out = await session.run({ x: { dtype: 'F32', shape: [3], data: new Float32Array([1, 2, 3]) } });
      expect(Array.from(out.y!.data as Float32Array)).toEqual([2, 4, 6]);
      await session.dispose();
    }
    for (const threads of [0, 1.5, -2]) {
      await expect(backend.createSession(doubler(), { device: 'cpu', threads })).rejects.toThrow(`threads: must be a whole number ≥ 1, got ${threads}`);
    }
  });
});
