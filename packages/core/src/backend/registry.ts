import { AaclipError } from '../errors/aaclipError.js';
import type { Backend } from './backend.js';

/** Makes the backend a registration stands for; called once, on first use. */
export type BackendFactory = () => Backend | Promise<Backend>;

interface Registration {
  readonly factory: BackendFactory;
  readonly priority: number;
  instance?: Promise<Backend>;
}

// One registry per program, even when it loads two copies of @aaclip/core (a linked one and one
// from a tarball): the map lives on globalThis under a registered symbol, so every copy finds the
// same one. The version in the key changes if Registration ever changes shape.
const REGISTRY_KEY = Symbol.for('@aaclip/core:backend-registry@1');

function registrations(): Map<string, Registration> {
  const holder = globalThis as { [REGISTRY_KEY]?: Map<string, Registration> };
  holder[REGISTRY_KEY] ??= new Map<string, Registration>();
  return holder[REGISTRY_KEY];
}

/**
 * Makes a backend available by name. Higher priority is tried first when the caller names no
 * backend. Registering a name again with the same factory changes nothing (a backend package
 * imported twice); with another factory it is an error — call unregisterBackend first to replace it.
 */
export function registerBackend(name: string, factory: BackendFactory, priority = 0): void {
  const existing = registrations().get(name);
  if (existing) {
    if (existing.factory === factory) return;
    throw new AaclipError(
      `a backend named "${name}" is already registered with another factory (unregisterBackend("${name}") first to replace it; two installed copies of one backend package also do this)`,
      'registerBackend',
    );
  }
  registrations().set(name, { factory, priority });
}

/** Forgets a backend (a backend made already stays usable by whoever holds it). */
export function unregisterBackend(name: string): void {
  registrations().delete(name);
}

/** Registered backend names, highest priority first. */
export function listBackends(): string[] {
  return [...registrations().entries()].sort((a, b) => b[1].priority - a[1].priority).map(([name]) => name);
}

/** The backend registered as `name`, made by its factory on first use. */
export async function getBackend(name: string): Promise<Backend> {
  const registration = registrations().get(name);
  if (!registration) {
    const known = listBackends();
    throw new AaclipError(`unknown backend "${name}" (registered: ${known.length ? known.join(', ') : 'none'})`, undefined, { code: 'not-found' });
  }
  registration.instance ??= Promise.resolve().then(registration.factory);
  return registration.instance;
}

export interface ResolvedBackend {
  readonly backend: Backend;
  readonly device: string;
}

export interface ResolveRequest {
  /** A backend name; omitted → every registered backend by priority. */
  readonly backend?: string;
  /** A device; omitted → each backend's own devices in its order of preference. */
  readonly device?: string;
}

/**
 * Finds the first backend/device pair whose `init` succeeds. When none does, one error lists every
 * pair that was tried and why it failed (code 'unavailable'; 'unsupported' when the named backend
 * does not offer the named device; 'not-found' for an unknown backend name).
 */
export async function resolveBackend(request: ResolveRequest = {}): Promise<ResolvedBackend> {
  const names = request.backend ? [request.backend] : listBackends();
  if (names.length === 0) {
    throw new AaclipError('no backend is registered (import @aaclip/backend-node or @aaclip/backend-web)', undefined, { code: 'unavailable' });
  }
  const failures: string[] = [];
  for (const name of names) {
    let backend: Backend;
    try {
      backend = await getBackend(name);
    } catch (err) {
      if (request.backend) throw err;
      failures.push(`${name}: ${errorText(err)}`);
      continue;
    }
    const devices = request.device ? [request.device] : backend.devices;
    for (const device of devices) {
      if (!backend.devices.includes(device)) {
        const why = `${name}/${device}: not a device of this backend (devices: ${backend.devices.join(', ')})`;
        if (request.backend) throw new AaclipError(why, undefined, { code: 'unsupported' });
        failures.push(why);
        continue;
      }
      try {
        await backend.init(device);
        return { backend, device };
      } catch (err) {
        failures.push(`${name}/${device}: ${errorText(err)}`);
      }
    }
  }
  throw new AaclipError(`no backend could start: ${failures.join('; ')}`, undefined, { code: 'unavailable' });
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
