import { afterEach, describe, expect, it } from 'vitest';
import { AaclipError } from '../../src/errors/aaclipError.js';
import type { Backend } from '../../src/backend/backend.js';
import { getBackend, listBackends, registerBackend, resolveBackend, unregisterBackend, type BackendFactory } from '../../src/backend/registry.js';

/** A backend with one device that always starts. */
function workingBackend(name: string, device = 'cpu'): Backend {
  return {
    name,
    devices: [device],
    async init() {},
    async createSession() {
      throw new Error('not used');
    },
  };
}

const NAME = 'registry-identity-test';
afterEach(() => unregisterBackend(NAME));

describe('backend registry: one per program, names taken once', () => {
  it('registering a name again with the same factory changes nothing', async () => {
    const factory: BackendFactory = () => workingBackend(NAME);
    registerBackend(NAME, factory, 3);
    registerBackend(NAME, factory, 3);
    expect(listBackends().filter((n) => n === NAME)).toEqual([NAME]);
    expect((await getBackend(NAME)).name).toBe(NAME);
  });

  it('registering a name again with another factory is an error naming the way to replace it', () => {
    registerBackend(NAME, () => workingBackend(NAME));
    let thrown: unknown;
    try {
      registerBackend(NAME, () => workingBackend('impostor'));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AaclipError);
    expect((thrown as AaclipError).message).toMatch(/^registerBackend: a backend named "registry-identity-test" is already registered with another factory \(unregisterBackend/);
    unregisterBackend(NAME);
    registerBackend(NAME, () => workingBackend('replacement'));
    return expect(getBackend(NAME)).resolves.toMatchObject({ name: 'replacement' });
  });

  it('is shared by a second copy of @aaclip/core loaded in the same program', async () => {
    // The query makes Vite load the file again as another module, as a second installed copy of
    // @aaclip/core would be; a variable keeps tsc from resolving it.
    const secondCopy = '../../src/backend/registry.ts?second-copy';
    const copy = (await import(secondCopy)) as typeof import('../../src/backend/registry.js');
    expect(copy.registerBackend).not.toBe(registerBackend);
    const factory: BackendFactory = () => workingBackend(NAME, 'copy-device');
    copy.registerBackend(NAME, factory, 1_000);
    expect(listBackends()[0]).toBe(NAME);
    const resolved = await resolveBackend();
    expect([resolved.backend.name, resolved.device]).toEqual([NAME, 'copy-device']);
    expect(() => registerBackend(NAME, () => workingBackend(NAME))).toThrow(AaclipError);
    registerBackend(NAME, factory, 1_000);
    copy.unregisterBackend(NAME);
    expect(listBackends()).not.toContain(NAME);
  });

  it('gives each failure a code: not-found, unsupported, unavailable', async () => {
    await expect(getBackend('no-such-backend')).rejects.toMatchObject({ code: 'not-found' });
    registerBackend(NAME, () => workingBackend(NAME));
    await expect(resolveBackend({ backend: NAME, device: 'tpu' })).rejects.toMatchObject({
      code: 'unsupported',
      message: `${NAME}/tpu: not a device of this backend (devices: cpu)`,
    });
    unregisterBackend(NAME);
    registerBackend(NAME, () => ({ ...workingBackend(NAME), init: () => Promise.reject(new Error('driver missing')) }));
    await expect(resolveBackend({ backend: NAME })).rejects.toMatchObject({
      code: 'unavailable',
      message: `no backend could start: ${NAME}/cpu: driver missing`,
    });
  });
});
