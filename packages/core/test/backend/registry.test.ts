import { afterEach, describe, expect, it } from 'vitest';
import { AaclipError } from '../../src/errors/aaclipError.js';
import type { Backend } from '../../src/backend/backend.js';
import { getBackend, listBackends, registerBackend, resolveBackend, unregisterBackend } from '../../src/backend/registry.js';

/** A backend whose devices start or fail as told. */
function fakeBackend(name: string, devices: Record<string, string | null>): Backend {
  return {
    name,
    devices: Object.keys(devices),
    async init(device) {
      const reason = devices[device];
      if (reason) throw new Error(reason);
    },
    async createSession() {
      throw new Error('not used');
    },
  };
}

const registered: string[] = [];
function register(name: string, devices: Record<string, string | null>, priority: number): void {
  registerBackend(name, () => fakeBackend(name, devices), priority);
  registered.push(name);
}

afterEach(() => {
  for (const name of registered.splice(0)) unregisterBackend(name);
});

describe('backend registry', () => {
  it('lists backends by priority, highest first', () => {
    register('low', { cpu: null }, 1);
    register('high', { gpu: null }, 5);
    expect(listBackends().filter((n) => registered.includes(n))).toEqual(['high', 'low']);
  });

  it('resolves the first backend/device whose init succeeds, in priority and preference order', async () => {
    register('fast', { gpu: 'no adapter', cpu: null }, 5);
    register('slow', { cpu: null }, 1);
    const resolved = await resolveBackend();
    expect(resolved.backend.name).toBe('fast');
    expect(resolved.device).toBe('cpu');
  });

  it('honours an explicit backend and device', async () => {
    register('a', { cpu: null }, 5);
    register('b', { wasm: null, webgpu: null }, 1);
    const resolved = await resolveBackend({ backend: 'b', device: 'webgpu' });
    expect([resolved.backend.name, resolved.device]).toEqual(['b', 'webgpu']);
  });

  it('reports every failed attempt with its reason in one error', async () => {
    register('x', { gpu: 'driver missing', cpu: 'out of memory' }, 5);
    register('y', { wasm: 'no WebAssembly' }, 1);
    const err = await resolveBackend().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AaclipError);
    const message = (err as Error).message;
    for (const part of ['x/gpu: driver missing', 'x/cpu: out of memory', 'y/wasm: no WebAssembly']) expect(message).toContain(part);
    expect(message.split('\n')).toHaveLength(1);
  });

  it('names an unknown backend and the registered ones', async () => {
    register('only', { cpu: null }, 1);
    await expect(getBackend('nope')).rejects.toThrow(/unknown backend "nope".*only/);
    await expect(resolveBackend({ backend: 'only', device: 'tpu' })).rejects.toThrow(/only\/tpu: not a device of this backend/);
  });
});
