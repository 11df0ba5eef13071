import { AaclipError } from '../errors/aaclipError.js';
import type { Backend } from './backend.js';

type BackendFactory = () => Backend | Promise<Backend>;

interface Registration {
  readonly factory: BackendFactory;
  readonly priority: number;
  instance?: Promise<Backend>;
}

const registrations = new Map<string, Registration>();

/**
 * Makes a backend available by name. Higher priority is tried first when the caller names no
 * backend. Registering a name again replaces the earlier factory.
 */
export function registerBackend(name: string, factory: BackendFactory, priority = 0): void {
  registrations.set(name, { factory, priority });
}

export function unregisterBackend(name: string): void {
  registrations.delete(name);
}

/** Registered backend names, highest priority first. */
export function listBackends(): string[] {
  return [...registrations.entries()].sort((a, b) => b[1].priority - a[1].priority).map(([name]) => name);
}

export async function getBackend(name: string): Promise<Backend> {
  const registration = registrations.get(name);
  if (!registration) {
    const known = listBackends();
    throw new AaclipError(`unknown backend "${name}" (registered: ${known.length ? known.join(', ') : 'none'})`);
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
 * pair that was tried and why it failed.
 */
export async function resolveBackend(request: ResolveRequest = {}): Promise<ResolvedBackend> {
  const names = request.backend ? [request.backend] : listBackends();
  if (names.length === 0) throw new AaclipError('no backend is registered (import @aaclip/backend-node or @aaclip/backend-web)');
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
        failures.push(`${name}/${device}: not a device of this backend (devices: ${backend.devices.join(', ')})`);
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
  throw new AaclipError(`no backend could start: ${failures.join('; ')}`);
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
