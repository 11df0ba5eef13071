// Step 2 of the pipeline: the two ONNX models → sessions on a backend and device.
import type { Backend, BackendSession, ModelBytes, SessionOptions } from '../backend/backend.js';
import { resolveBackend } from '../backend/registry.js';
import type { DetectorSetupStage } from './buildDetectorModels.js';

/** A detector's loaded models. Whoever holds them disposes them (a detector made from them does). */
export interface DetectorSessions {
  readonly vision: BackendSession;
  readonly text: BackendSession;
  readonly backend: Backend;
  readonly device: string;
}

export interface SessionLoadOptions {
  /** Backend name ('node', 'web', …); omitted → the registered backends by priority. */
  readonly backend?: string;
  /** Device ('cpu', 'cuda', 'wasm', 'webgpu', …); omitted → the backend's preference order. */
  readonly device?: string;
  /** Threads per model run (see SessionOptions.threads); omitted → the backend's default. */
  readonly threads?: number;
  readonly onProgress?: (stage: DetectorSetupStage) => void;
}

/**
 * Loads the vision model, then the text model, on a started backend. Each model is asked for only
 * when its session is made, so a caller handing out each once lets the first be freed before the
 * second is loaded. If the text model fails to load, the vision session is disposed.
 */
export async function createDetectorSessions(
  backend: Backend,
  session: SessionOptions,
  vision: () => ModelBytes,
  text: () => ModelBytes,
  onProgress?: (stage: DetectorSetupStage) => void,
): Promise<DetectorSessions> {
  onProgress?.('loading vision model');
  const visionSession = await backend.createSession(vision(), session);
  try {
    onProgress?.('loading text model');
    const textSession = await backend.createSession(text(), session);
    return { vision: visionSession, text: textSession, backend, device: session.device };
  } catch (err) {
    await visionSession.dispose();
    throw err;
  }
}

/**
 * Step 2: starts the backend (see resolveBackend) and loads both models — built now by
 * buildDetectorModels, or prebuilt: read back from files, a cache or a download, exported or
 * quantised elsewhere. The models' bytes are not kept.
 */
export async function loadDetectorSessions(
  models: { readonly vision: ModelBytes; readonly text: ModelBytes },
  options: SessionLoadOptions = {},
): Promise<DetectorSessions> {
  options.onProgress?.('starting backend');
  const { backend, device } = await resolveBackend({ backend: options.backend, device: options.device });
  const session = { device, ...(options.threads === undefined ? {} : { threads: options.threads }) };
  return createDetectorSessions(backend, session, () => models.vision, () => models.text, options.onProgress);
}
