// The packed packages as a user gets them: this file is type-checked (strict) and run inside a
// scratch project that installed the tarballs `npm pack` made (scripts/pack-smoke.sh). It uses
// only the public entries, finds the tiny golden fixture through a Hugging Face hub cache
// (@aaclip/hub, offline), detects one image and checks the map
// and the score against the reference's, so a broken export, a missing file in a tarball or a
// type that does not resolve outside the monorepo fails here.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AnomalyDetector, readSafetensors, type Detection, type Tensor } from '@aaclip/core';
import { decodeImageFile, loadModelFiles, type ModelFiles } from '@aaclip/backend-node';
import { repoCacheLayout, resolveHubModel } from '@aaclip/hub';

// The fixture README's tolerances for an exact float32 implementation.
const MAP_TOLERANCE = 1e-3;
const SCORE_TOLERANCE = 1e-5;

const sharedDir = process.argv[2] ?? process.env.AACLIP_SHARED;
if (!sharedDir) {
  throw new Error('usage: node index.js <shared dir> (the folder holding fixtures/ and clip/; or set AACLIP_SHARED)');
}
const fixture = (name: string): string => path.join(sharedDir, 'fixtures/tiny-aaclip', name);

function goldenRow(tensor: Tensor | undefined, name: string, row: number): Float32Array {
  if (!tensor || !(tensor.data instanceof Float32Array)) throw new Error(`golden.safetensors: no F32 tensor ${name}`);
  const rowLength = tensor.data.length / (tensor.shape[0] ?? 1);
  return tensor.data.subarray(row * rowLength, (row + 1) * rowLength);
}

function maxAbsDifference(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} against the golden ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  return worst;
}

// The fixture laid out as a Hugging Face hub cache (blobs named by sha256, snapshot links,
// refs/main), then found through @aaclip/hub offline, as `--model <repo id>` finds a pulled model.
const hubCache = await mkdtemp(path.join(os.tmpdir(), 'aaclip-pack-smoke-hub-'));
const commit = '0123456789abcdef0123456789abcdef01234567';
const layout = repoCacheLayout(hubCache, 'aaclip-smoke/tiny-aaclip');
const repoFiles: Record<string, string> = {
  'open_clip_config.json': fixture('open_clip_config.json'),
  'open_clip_model.safetensors': fixture('clip.safetensors'),
  'aaclip_adapters.safetensors': fixture('adapters.safetensors'),
  'bpe_simple_vocab_16e6.txt.gz': path.join(sharedDir, 'clip/bpe_simple_vocab_16e6.txt.gz'),
};
for (const [name, source] of Object.entries(repoFiles)) {
  const sha256 = createHash('sha256').update(await readFile(source)).digest('hex');
  await mkdir(path.dirname(layout.blob(sha256)), { recursive: true });
  await copyFile(source, layout.blob(sha256));
  await mkdir(layout.snapshotDir(commit), { recursive: true });
  await symlink(path.relative(layout.snapshotDir(commit), layout.blob(sha256)), layout.snapshotFile(commit, name));
}
await mkdir(path.dirname(layout.ref('main')), { recursive: true });
await writeFile(layout.ref('main'), commit);
let files: ModelFiles;
try {
  const pulled = await resolveHubModel('aaclip-smoke/tiny-aaclip', { env: { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: hubCache } });
  if (pulled.provenance.weights.commit !== commit) throw new Error(`@aaclip/hub resolved commit ${pulled.provenance.weights.commit}, not ${commit}`);
  files = pulled.files;
} catch (err) {
  await rm(hubCache, { recursive: true, force: true });
  throw err;
}
const model = await loadModelFiles(files).finally(() => rm(hubCache, { recursive: true, force: true }));
const detector = await AnomalyDetector.create(model, { device: 'cpu', settings: { imageSize: 48 } });
let detection: Detection | undefined;
try {
  [detection] = await detector.detect([await decodeImageFile(fixture('images/img0.png'))], 'dark bottle');
} finally {
  await detector.dispose();
}
if (!detection) throw new Error('detect returned no detection for one image');

const golden = readSafetensors(new Uint8Array(await readFile(fixture('golden.safetensors'))), 'golden.safetensors').tensors;
const mapError = maxAbsDifference(detection.anomalyMap, goldenRow(golden.get('anomaly_map'), 'anomaly_map', 0));
const scoreError = Math.abs(detection.imageScore - goldenRow(golden.get('image_score'), 'image_score', 0)[0]!);
console.log(`img0.png on ${detector.backend.name}/${detector.device}: image score ${detection.imageScore.toFixed(6)}, ` +
  `map error ${mapError.toExponential(2)} (tolerance ${MAP_TOLERANCE}), score error ${scoreError.toExponential(2)} (tolerance ${SCORE_TOLERANCE})`);
if (!(mapError <= MAP_TOLERANCE && scoreError <= SCORE_TOLERANCE)) {
  throw new Error('the packed packages do not reproduce the golden map and score');
}
