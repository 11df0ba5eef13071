// Opens an exported bundle from any file source (a folder in Node, a URL in a browser): the
// manifest is parsed and bounded, every file it lists is read and checked against its size and
// sha256 before anything uses it, and the parts a detector needs are made from them.
import { AaclipError } from '../errors/aaclipError.js';
import type { Domain } from '../config/aaclipSettings.js';
import type { DetectorSetupStage } from '../pipeline/buildDetectorModels.js';
import { tokenizerFromBytes } from '../pipeline/detectorModelFromBytes.js';
import { AnomalyDetector, type PrebuiltDetectorModels, type PrebuiltDetectorOptions } from '../pipeline/anomalyDetector.js';
import { readSafetensors } from '../weights/safetensors.js';
import { parseBundleManifest, type BundleManifest } from './bundleManifest.js';
import { webCryptoSha256, type Sha256Function } from './sha256.js';

/**
 * Reads one file of the bundle. `size` is the manifest's size for it: a reader should refuse a
 * file of another size before reading it all (the check is repeated on the bytes returned).
 */
export type BundleFileReader = (path: string, size: number) => Promise<Uint8Array>;

export interface OpenBundleOptions {
  /** How the bundle is named in errors: its folder or URL; a file's errors name "<source>/<file>". */
  readonly source: string;
  /** The hash used to check the files (default Web Crypto). */
  readonly sha256?: Sha256Function;
  /** Called before each file is read (for progress displays). */
  readonly onFile?: (path: string, index: number, count: number, size: number) => void;
}

/** A bundle read and checked: its manifest, both models with their parts, and its anchors by class name. */
export interface OpenedBundle {
  readonly manifest: BundleManifest;
  readonly models: PrebuiltDetectorModels;
  readonly anchors: ReadonlyMap<string, Float32Array>;
}

const fileSource = (source: string, path: string): string => `${source.replace(/\/+$/, '')}/${path}`;

/**
 * Reads and checks every file the manifest lists: a file of another size, or whose sha256 differs,
 * is refused with one line naming it. Then the models, tokenizer and anchors are made from them.
 */
export async function openBundle(manifestBytes: Uint8Array, read: BundleFileReader, options: OpenBundleOptions): Promise<OpenedBundle> {
  const manifest = parseBundleManifest(manifestBytes, fileSource(options.source, 'aaclip-bundle.json'));
  const sha256 = options.sha256 ?? webCryptoSha256;
  const bytes = new Map<string, Uint8Array>();
  for (const [index, file] of manifest.files.entries()) {
    const name = fileSource(options.source, file.path);
    options.onFile?.(file.path, index, manifest.files.length, file.size);
    const data = await read(file.path, file.size);
    if (data.byteLength !== file.size) throw new AaclipError(`is ${data.byteLength} bytes, the bundle manifest says ${file.size}: the file was changed or cut short`, name);
    if ((await sha256(data)) !== file.sha256) throw new AaclipError('its sha256 differs from the bundle manifest\'s: the file was changed or damaged', name);
    bytes.set(file.path, data);
  }
  const take = (path: string): Uint8Array => bytes.get(path)!; // every referenced file is listed (parseBundleManifest)
  const graph = (which: 'vision' | 'text') => {
    const spec = manifest.graphs[which];
    return { model: take(spec.file), externalData: spec.externalData.map((path) => ({ path, data: take(path) })) };
  };
  const { tokenizer: tok } = manifest;
  const tokenizer = await tokenizerFromBytes(
    { name: fileSource(options.source, tok.vocabulary), bytes: take(tok.vocabulary) },
    tok.merges ? { name: fileSource(options.source, tok.merges), bytes: take(tok.merges) } : undefined,
  );
  const anchors = new Map<string, Float32Array>();
  if (manifest.anchors.file) {
    const source = fileSource(options.source, manifest.anchors.file);
    const tensors = readSafetensors(take(manifest.anchors.file), source).tensors;
    const embed = manifest.model.config.embed_dim;
    for (const { name, tensor } of manifest.anchors.classes) {
      const t = tensors.get(tensor);
      if (!t) throw new AaclipError(`has no tensor "${tensor}" (the anchors of "${name}")`, source);
      if (t.dtype !== 'F32' || t.shape.length !== 2 || t.shape[0] !== embed || t.shape[1] !== 2) {
        throw new AaclipError(`tensor "${tensor}" is ${t.dtype} [${t.shape.join(', ')}], anchors are F32 [${embed}, 2]`, source);
      }
      anchors.set(name, t.data as Float32Array);
    }
  }
  return {
    manifest,
    models: { vision: graph('vision'), text: graph('text'), config: manifest.model.config, preprocess: manifest.preprocess, tokenizer },
    anchors,
  };
}

/** Options of detectorFromBundle: where to run, and the few settings that do not change the graphs. */
export interface BundleDetectorOptions extends Pick<PrebuiltDetectorOptions, 'backend' | 'device' | 'threads' | 'batchSize' | 'preprocess'> {
  /** Scoring domain (blur, image-score rule); default the one the bundle was exported with. */
  readonly domain?: Domain;
  /** Must be the bundle's image size when given (its graphs are built for one size). */
  readonly imageSize?: number;
  readonly onProgress?: (stage: DetectorSetupStage) => void;
}

/**
 * A detector running a bundle's graphs (AnomalyDetector.fromModels) with the settings and prompts
 * it was exported with; the bundle's anchors serve its classes, other class names go through its
 * text graph.
 */
export async function detectorFromBundle(bundle: OpenedBundle, options: BundleDetectorOptions = {}): Promise<AnomalyDetector> {
  const { manifest } = bundle;
  if (options.imageSize !== undefined && options.imageSize !== manifest.imageSize) {
    throw new AaclipError(`is ${options.imageSize}, but the bundle's graphs are built for ${manifest.imageSize} (export another bundle for another size)`, 'image size');
  }
  return AnomalyDetector.fromModels(bundle.models, {
    ...options,
    settings: { ...manifest.settings, domain: options.domain ?? manifest.settings.domain },
    promptSet: manifest.prompts,
    anchors: bundle.anchors,
  });
}
