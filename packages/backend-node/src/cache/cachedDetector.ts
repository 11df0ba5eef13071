// A detector started through the disk caches: the vision and text graphs as onnxruntime optimised
// them, and each class's text anchors, all keyed by what they were made from. A warm start reads
// neither the weights nor the text model.
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  AaclipError,
  AnomalyDetector,
  DEFAULT_PROMPT_SET,
  TEXT_INPUT,
  TEXT_OUTPUT,
  buildCheckedModels,
  checkDetectorModel,
  checkSettingsForModel,
  parseAaclipSettings,
  parsePromptSet,
  passesForDevice,
  readWeightsBytes,
  resolveBackend,
  type AaclipSettingsInput,
  type BackendSession,
  type ModelBytes,
  type PreprocessConfig,
  type Precision,
  type PromptSet,
  type RewriteOptions,
  type SessionOptions,
  type TakeOnceModels,
  type TensorMap,
  type ZeroShotMode,
} from '@aaclip/core';
import { loadTokenizer, readModelConfig, readRegularFile, readWeightsFile, type ModelFiles } from '@aaclip/node-io';
import { CacheEntries } from './cacheEntries.js';
import { FileDigests } from './fileDigests.js';
import { keyOf } from './fileChecksum.js';

/** Bump when what a cache entry holds changes meaning. */
const CACHE_FORMAT = 1;

export interface CachedDetectorOptions {
  readonly files: ModelFiles;
  /** AA-CLIP settings; anything omitted takes the paper's default. */
  readonly settings?: AaclipSettingsInput;
  readonly zeroShot?: ZeroShotMode;
  readonly promptSet?: PromptSet;
  readonly preprocess?: Partial<PreprocessConfig>;
  readonly backend?: string;
  readonly device?: string;
  readonly threads?: number;
  readonly batchSize?: number;
  /** The precision the graphs are built in ('fp32' when omitted; see Precision); part of every key. */
  readonly precision?: Precision;
  /** Graph fusions (see RewriteOptions); omitted → every one the device runs. */
  readonly rewrites?: RewriteOptions['rewrites'];
  /**
   * Prompt names whose anchors are made (or read from the cache) now; the text model is released
   * once they exist, and not even loaded when the cache has them all. Anchors of other names are
   * still made on demand (the text model is loaded again then).
   */
  readonly classNames?: readonly string[];
  /** The cache folder (see defaultCacheDir); null: no disk cache, everything is built. */
  readonly cacheDir: string | null;
  /** Called with each set-up stage ("reading cached vision model", …). */
  readonly onProgress?: (stage: string) => void;
}

/** Where each part of a start came from. */
export interface CacheReport {
  /** 'hit': loaded from the cache; 'built': built (and cached when a cache is used); 'rebuilt': a damaged entry was replaced; 'unused': not needed. */
  vision: 'hit' | 'built' | 'rebuilt';
  text: 'hit' | 'built' | 'rebuilt' | 'unused';
  anchorsFromCache: number;
  anchorsComputed: number;
  /** Whether the CLIP weights were read (they are not on a warm start). */
  weightsRead: boolean;
}

export interface CachedDetectorStart {
  readonly detector: AnomalyDetector;
  readonly cache: CacheReport;
}

/**
 * Starts a detector from model files through the disk caches. Keys: a SHA-256 of each model file
 * (remembered per path, size and times, so unchanged files are not hashed again), the parsed
 * settings, baseline, build options and precision, the backend, device, runtime version and CPU;
 * anchors add the vocabulary, prompt set and prompt name. Every entry is checked against its
 * stored checksums when opened; a damaged one is rebuilt, never used.
 */
export async function startCachedDetector(options: CachedDetectorOptions): Promise<CachedDetectorStart> {
  const progress = options.onProgress ?? (() => {});
  const { files } = options;
  const cacheDir = options.cacheDir;
  const digests = new FileDigests(cacheDir ? path.join(cacheDir, 'file-digests.json') : null);
  const graphs = cacheDir ? new CacheEntries(path.join(cacheDir, 'graphs')) : null;
  const anchorEntries = cacheDir ? new CacheEntries(path.join(cacheDir, 'anchors')) : null;
  const report: CacheReport = { vision: 'built', text: 'unused', anchorsFromCache: 0, anchorsComputed: 0, weightsRead: false };

  progress('reading model config');
  const { model: config, preprocess } = await readModelConfig(files.modelConfig);
  const settings = parseAaclipSettings(options.settings ?? {}, 'settings');
  checkSettingsForModel(settings, config, 'settings');
  if (files.adapters.length > 0 && options.zeroShot !== undefined) {
    throw new AaclipError(`"${options.zeroShot}" is a baseline run without adapters, but the model has AA-CLIP adapters (give one or the other)`, 'zeroShot');
  }
  const promptSet = options.promptSet === undefined ? DEFAULT_PROMPT_SET : parsePromptSet(options.promptSet, 'promptSet');
  progress('starting backend');
  const { backend, device } = await resolveBackend({ backend: options.backend, device: options.device });
  const passes = passesForDevice(backend, device, { ...(options.precision ? { precision: options.precision } : {}), ...(options.rewrites === undefined ? {} : { rewrites: options.rewrites }) });

  // A weights file not hashed before is read now, hashed in memory, and its bytes kept for the
  // build that most likely follows: the weights are read once either way.
  let weightsBytes: Uint8Array | null = null;
  const weightsDigest = async (): Promise<string> => {
    if (await digests.known(files.weights)) return digests.digest(files.weights);
    progress('reading weights');
    weightsBytes = await readRegularFile(files.weights, 'weights');
    return digests.digest(files.weights, weightsBytes);
  };
  progress('hashing model files');
  const vocabFiles = path.basename(files.vocab).endsWith('.json') ? [files.vocab, path.join(path.dirname(files.vocab), 'merges.txt')] : [files.vocab];
  const modelParts = cacheDir
    ? {
        format: CACHE_FORMAT,
        weights: await weightsDigest(),
        adapters: await Promise.all(files.adapters.map((f) => digests.digest(f))),
        config: await digests.digest(files.modelConfig),
        settings,
        tower: files.adapters.length > 0 ? 'adapted' : (options.zeroShot ?? 'plain'),
        precision: options.precision ?? 'fp32',
        passes: passes.map((p) => p.name),
        backend: backend.name,
        device,
        runtime: backend.runtimeVersion ?? 'unknown',
        cpu: `${os.cpus()[0]?.model ?? 'unknown'} ${process.arch}`,
      }
    : null;

  // Both models, built from the weights on first need; dropped once both sessions hold them.
  let built: TakeOnceModels | null = null;
  const buildModels = async (): Promise<TakeOnceModels> => {
    if (built) return built;
    progress('reading weights');
    const bytes = weightsBytes;
    weightsBytes = null;
    const weights = bytes ? await readWeightsBytes({ name: files.weights, bytes }) : await readWeightsFile(files.weights);
    let adapters: TensorMap | null = null;
    for (const file of files.adapters) {
      adapters ??= new Map();
      for (const [key, tensor] of await readWeightsFile(file)) adapters.set(key, tensor);
    }
    report.weightsRead = true;
    const model = {
      config,
      preprocess,
      weights,
      adapters,
      tokenizer: await loadTokenizer(files.vocab),
      sources: { weights: files.weights, adapters: files.adapters.join(' + ') },
    };
    const checked = checkDetectorModel(model, { settings, ...(options.zeroShot ? { zeroShot: options.zeroShot } : {}), onProgress: progress });
    built = buildCheckedModels(config, checked, { passes, onProgress: progress });
    return built;
  };

  const session: SessionOptions = { device, ...(options.threads === undefined ? {} : { threads: options.threads }) };
  const loadGraph = async (which: 'vision' | 'text'): Promise<{ session: BackendSession; source: 'hit' | 'built' | 'rebuilt' }> => {
    const take = async (): Promise<ModelBytes> => {
      const models = await buildModels();
      return which === 'vision' ? models.takeVision() : models.takeText();
    };
    if (!graphs || !modelParts || !backend.createSessionFromFile) {
      progress(`loading ${which} model`);
      return { session: await backend.createSession(await take(), session), source: 'built' };
    }
    const parts = { graph: which, ...modelParts };
    const key = keyOf(parts);
    const file = `${which}.onnx`;
    progress(`checking cached ${which} model`);
    const found = await graphs.openUnverified(key);
    let source: 'built' | 'rebuilt' = !found.ok && found.reason === 'corrupt' ? 'rebuilt' : 'built';
    if (found.ok) {
      progress(`loading cached ${which} model`);
      // The checksums are computed on a worker while the runtime loads the graph; the session is
      // used only if they match (sizes were checked before loading).
      const verified = found.verify();
      const loaded = await backend.createSessionFromFile(path.join(found.dir, file), { ...session, graphOptimization: 'disabled' }).catch(() => null);
      const sound = await verified;
      if (loaded && sound) return { session: loaded, source: 'hit' };
      await loaded?.dispose();
      if (sound) await graphs.remove(key); // the runtime refused it
      source = 'rebuilt';
    }
    const model = await take();
    progress(`loading ${which} model (optimised graph cached)`);
    const made: { session?: BackendSession } = {};
    try {
      await graphs.write(key, parts, async (dir) => {
        made.session = await backend.createSession(model, { ...session, optimizedModelPath: path.join(dir, file) });
      });
    } catch (err) {
      if (!made.session) throw err; // the model itself failed to load
      // The cache could not be written (disk full, permissions): run without it.
    }
    if (!made.session) throw new AaclipError(`the ${which} model was not loaded`, 'cache', { code: 'internal' });
    return { session: made.session, source };
  };

  const vision = await loadGraph('vision');
  report.vision = vision.source;
  let visionOwned: BackendSession | null = vision.session;
  try {
    const text = lazyTextSession(async () => {
      const loaded = await loadGraph('text');
      if (report.text === 'unused') report.text = loaded.source;
      built = null; // both models are held by their sessions now: the weights can go
      return loaded.session;
    });
    const anchorKey = async (name: string): Promise<string | null> => {
      if (!modelParts) return null;
      const vocab = await Promise.all(vocabFiles.map((f) => digests.digest(f)));
      return keyOf({ anchors: name, promptSet, vocab, ...modelParts });
    };
    const seeded = new Map<string, Float32Array>();
    const names = [...new Set(options.classNames ?? [])];
    if (anchorEntries) {
      progress('reading cached anchors');
      for (const name of names) {
        const found = await anchorEntries.open((await anchorKey(name))!);
        if (!found.ok) continue;
        const bytes = await readFile(path.join(found.dir, 'anchors.f32'));
        if (bytes.byteLength !== config.embed_dim * 2 * 4) continue; // checksummed, but of another shape: ignore
        seeded.set(name, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
      }
    }
    report.anchorsFromCache = seeded.size;
    const tokenizer = await loadTokenizer(files.vocab);
    const detector = AnomalyDetector.fromSessions(
      { vision: vision.session, text, backend, device },
      { config, preprocess, tokenizer },
      {
        settings,
        promptSet,
        anchors: seeded,
        ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
        ...(options.preprocess ? { preprocess: options.preprocess } : {}),
      },
    );
    visionOwned = null; // the detector owns both sessions now
    try {
      for (const name of names) {
        if (seeded.has(name)) continue;
        progress(`text anchors: ${name}`);
        const anchors = await detector.anchors(name);
        report.anchorsComputed++;
        const key = await anchorKey(name);
        if (anchorEntries && key) {
          const parts = { anchors: name, ...modelParts };
          await anchorEntries.write(key, parts, (dir) => writeFile(path.join(dir, 'anchors.f32'), new Uint8Array(anchors.buffer, anchors.byteOffset, anchors.byteLength))).catch(() => {});
        }
      }
      await text.release();
      built = null;
      weightsBytes = null; // read for a build that the cache made unnecessary
    } catch (err) {
      await detector.dispose();
      throw err;
    }
    progress('ready');
    return { detector, cache: report };
  } finally {
    if (visionOwned) await visionOwned.dispose();
  }
}

/** A text session loaded on its first run, which `release()` gives back (the next run loads it again). */
export interface LazySession extends BackendSession {
  release(): Promise<void>;
}

function lazyTextSession(load: () => Promise<BackendSession>): LazySession {
  let loaded: Promise<BackendSession> | null = null;
  const get = (): Promise<BackendSession> => {
    loaded ??= load();
    loaded.catch(() => {
      loaded = null;
    });
    return loaded;
  };
  const release = async (): Promise<void> => {
    const current = loaded;
    loaded = null;
    if (current) await (await current.catch(() => null))?.dispose();
  };
  return {
    inputNames: [TEXT_INPUT],
    outputNames: [TEXT_OUTPUT],
    run: async (feeds) => (await get()).run(feeds),
    release,
    dispose: release,
  };
}

