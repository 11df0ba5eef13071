// Gathers the model files (picked files or URLs) with progress and starts a detector on the web
// backend, falling back from WebGPU to wasm when the GPU cannot hold the model.
import { AaclipError, AnomalyDetector, detectorFromBundle, resolveBackend, type AaclipSettingsInput, type DetectorModel, type DetectorSetupStage, type Domain, type OpenedBundle, type Precision } from '@aaclip/core';
import { fetchWithProgress, readBlobWithProgress, type ModelFileBytes, type NamedBytes } from '@aaclip/backend-web';

export type ModelSource =
  | { readonly kind: 'files'; readonly config: File; readonly weights: File; readonly vocabulary: File; readonly adapters: readonly File[] }
  | { readonly kind: 'urls'; readonly config: string; readonly weights: string; readonly vocabulary: string; readonly adapters: readonly string[] }
  | { readonly kind: 'bundle'; readonly url: string };

type FileSource = Exclude<ModelSource, { kind: 'bundle' }>;

/** Progress of the downloads/reads together: bytes so far, and the total once every size is known. */
export type TransferProgress = (label: string, loaded: number, total: number | undefined) => void;

interface Item {
  readonly role: string;
  readonly read: (onBytes: (loaded: number, total: number | undefined) => void) => Promise<NamedBytes>;
}

function items(source: FileSource): { config: Item; weights: Item; vocabulary: Item; adapters: Item[] } {
  if (source.kind === 'files') {
    const item = (role: string, file: File): Item => ({
      role,
      read: async (onBytes) => ({ name: file.name, bytes: await readBlobWithProgress(file, file.name, onBytes) }),
    });
    return {
      config: item('config', source.config),
      weights: item('weights', source.weights),
      vocabulary: item('vocabulary', source.vocabulary),
      adapters: source.adapters.map((f) => item('adapters', f)),
    };
  }
  const item = (role: string, url: string): Item => ({
    role,
    read: async (onBytes) => ({ name: url, bytes: await fetchWithProgress(url, onBytes) }),
  });
  return {
    config: item('config', source.config),
    weights: item('weights', source.weights),
    vocabulary: item('vocabulary', source.vocabulary),
    adapters: source.adapters.map((u) => item('adapters', u)),
  };
}

/** Reads every file of the model at once, reporting the combined progress. */
export async function readModelSource(source: FileSource, onProgress: TransferProgress): Promise<ModelFileBytes> {
  const parts = items(source);
  const all = [parts.config, parts.weights, parts.vocabulary, ...parts.adapters];
  const loaded = all.map(() => 0);
  const totals: (number | undefined)[] = all.map(() => undefined);
  const started = all.map(() => false);
  const report = (): void => {
    const sum = loaded.reduce((a, b) => a + b, 0);
    const known = started.every(Boolean) && totals.every((t) => t !== undefined);
    const active = all.filter((_, i) => totals[i] === undefined || loaded[i]! < totals[i]!).map((p) => p.role);
    onProgress(`reading ${[...new Set(active)].join(', ') || 'files'}`, sum, known ? totals.reduce<number>((a, b) => a + b!, 0) : undefined);
  };
  const read = all.map((part, i) =>
    part.read((bytes, total) => {
      started[i] = true;
      loaded[i] = bytes;
      totals[i] = total;
      report();
    }),
  );
  const [config, weights, vocabulary, ...adapters] = await Promise.all(read);
  return { config: config!, weights: weights!, vocabulary: vocabulary!, adapters };
}

export type DeviceChoice = 'auto' | 'webgpu' | 'wasm';

/**
 * Starts a detector on the web backend. "auto" takes WebGPU when the browser offers an adapter,
 * else wasm; when the WebGPU session itself fails (e.g. out of GPU memory) it retries on wasm and
 * says why through `onFallback`. Errors in the files (they name their source) are not retried.
 */
export async function startDetector(
  model: DetectorModel,
  settings: AaclipSettingsInput,
  choice: DeviceChoice,
  onStage: (stage: DetectorSetupStage) => void,
  onFallback: (reason: string) => void,
  precision: Precision = 'fp32',
): Promise<AnomalyDetector> {
  const resolved = await resolveBackend({ backend: 'web', ...(choice === 'auto' ? {} : { device: choice }) });
  // "auto" with a precision WebGPU cannot run here (int8; fp16 without shader-f16) takes wasm.
  const device =
    choice === 'auto' && resolved.device === 'webgpu' && !(resolved.backend.capabilities?.('webgpu').precisions ?? ['fp32']).includes(precision)
      ? 'wasm'
      : resolved.device;
  const options = { settings, backend: 'web', onProgress: onStage, precision };
  try {
    return await AnomalyDetector.create(model, { ...options, device });
  } catch (err) {
    if (choice !== 'auto' || device !== 'webgpu' || (err instanceof AaclipError && err.source)) throw err;
    onFallback(err instanceof Error ? err.message : String(err));
    return AnomalyDetector.create(model, { ...options, device: 'wasm' });
  }
}

/**
 * Starts a detector on a bundle's graphs (fetched and checked by fetchBundle), with the same
 * WebGPU-else-wasm choice and fallback as startDetector.
 */
export async function startBundleDetector(
  bundle: OpenedBundle,
  domain: Domain,
  choice: DeviceChoice,
  onStage: (stage: DetectorSetupStage) => void,
  onFallback: (reason: string) => void,
): Promise<AnomalyDetector> {
  const { device } = await resolveBackend({ backend: 'web', ...(choice === 'auto' ? {} : { device: choice }) });
  const options = { domain, backend: 'web', onProgress: onStage };
  try {
    return await detectorFromBundle(bundle, { ...options, device });
  } catch (err) {
    if (choice !== 'auto' || device !== 'webgpu' || (err instanceof AaclipError && err.source)) throw err;
    onFallback(err instanceof Error ? err.message : String(err));
    return detectorFromBundle(bundle, { ...options, device: 'wasm' });
  }
}
