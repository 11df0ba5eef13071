// The disk caches on the tiny fixture: a warm start reads neither the weights nor the text model
// and gives the cold start's maps; every key part (weights, config, image size, precision)
// makes a new entry; a damaged entry (truncated, altered, anchors changed) is rebuilt, never used.
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawImage } from '@aaclip/core';
import { maxAbsError } from '@aaclip/core/testing';
import { decodeImageFile, startCachedDetector, type CachedDetectorOptions, type CacheReport } from '@aaclip/backend-node';
import { fixtureFile, vocabPath } from '../../../test-support/fixture.js';
import { goldenFloats, loadFixture } from '../../../test-support/fixtureLoader.js';

let root = '';
let cacheDir = '';
let image: RawImage;
const S = 48;

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'aaclip-cache-test-'));
  cacheDir = path.join(root, 'cache');
  for (const name of ['clip.safetensors', 'adapters.safetensors', 'open_clip_config.json']) {
    copyFileSync(fixtureFile(name), path.join(root, name));
  }
});
beforeAll(async () => {
  image = await decodeImageFile(fixtureFile('images/img0.png'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const options = (extra: Partial<CachedDetectorOptions> = {}): CachedDetectorOptions => ({
  files: {
    modelConfig: path.join(root, 'open_clip_config.json'),
    weights: path.join(root, 'clip.safetensors'),
    adapters: [path.join(root, 'adapters.safetensors')],
    vocab: vocabPath,
  },
  settings: { imageSize: S },
  backend: 'node',
  device: 'cpu',
  classNames: ['dark bottle'],
  cacheDir,
  ...extra,
});

/** Starts a detector, scores the fixture's first image, and returns the map with the cache report. */
async function run(extra: Partial<CachedDetectorOptions> = {}): Promise<{ map: Float32Array; anchors: Float32Array; cache: CacheReport }> {
  const { detector, cache } = await startCachedDetector(options(extra));
  try {
    const anchors = await detector.anchors('dark bottle');
    const [result] = await detector.detect([image], 'dark bottle');
    return { map: result!.anomalyMap, anchors, cache: { ...cache } };
  } finally {
    await detector.dispose();
  }
}

function entriesOf(kind: 'graphs' | 'anchors'): string[] {
  const dir = path.join(cacheDir, kind);
  return readdirSync(dir).filter((n) => !n.startsWith('.')).map((n) => path.join(dir, n));
}
interface EntryParts {
  graph?: string;
  weights: string;
  config: string;
  precision: string;
  settings: { imageSize: number };
}
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The one entry of the fixture as it is now, at size S in fp32 (a graph's, or the anchors'). */
function currentEntry(kind: 'graphs' | 'anchors', graph?: 'vision' | 'text'): string {
  const weights = sha256(path.join(root, 'clip.safetensors'));
  const config = sha256(path.join(root, 'open_clip_config.json'));
  const found = entriesOf(kind).filter((dir) => {
    const parts = (JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { parts: EntryParts }).parts;
    return parts.graph === graph && parts.weights === weights && parts.config === config && parts.precision === 'fp32' && parts.settings.imageSize === S;
  });
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('disk caches', () => {
  let cold: Awaited<ReturnType<typeof run>>;

  it('cold start builds and caches both graphs and the anchors; a warm start reads neither weights nor text model', async () => {
    cold = await run();
    expect(cold.cache).toEqual({ vision: 'built', text: 'built', anchorsFromCache: 0, anchorsComputed: 1, weightsRead: true });
    // The fixture's golden map (tolerance 1e-3, fixture README).
    expect(maxAbsError(cold.map, goldenFloats(loadFixture(), 'anomaly_map').subarray(0, S * S))).toBeLessThan(1e-3);
    expect(maxAbsError(cold.anchors, goldenFloats(loadFixture(), 'text_anchors'))).toBeLessThan(1e-4);
    expect(entriesOf('graphs')).toHaveLength(2);
    expect(entriesOf('anchors')).toHaveLength(1);

    const warm = await run();
    expect(warm.cache).toEqual({ vision: 'hit', text: 'unused', anchorsFromCache: 1, anchorsComputed: 0, weightsRead: false });
    expect(maxAbsError(warm.map, cold.map)).toBeLessThan(1e-6);
    expect(maxAbsError(warm.anchors, cold.anchors)).toBe(0);
  });

  it('a new class loads the cached text graph, not the weights', async () => {
    const { detector, cache } = await startCachedDetector(options({ classNames: ['dark bottle', 'cable'] }));
    await detector.dispose();
    expect(cache).toEqual({ vision: 'hit', text: 'hit', anchorsFromCache: 1, anchorsComputed: 1, weightsRead: false });
  });

  it('image size, config and weights are each part of the key', async () => {
    const at32 = await run({ settings: { imageSize: 32 } });
    expect(at32.cache.vision).toBe('built');
    expect(at32.cache.anchorsComputed).toBe(1);
    expect(at32.map).toHaveLength(32 * 32);

    // The same config, reformatted: another file digest, so another key.
    const configFile = path.join(root, 'open_clip_config.json');
    writeFileSync(configFile, JSON.stringify(JSON.parse(readFileSync(configFile, 'utf8')), null, 4));
    const reconfigured = await run();
    expect(reconfigured.cache.vision).toBe('built');
    expect(maxAbsError(reconfigured.map, cold.map)).toBeLessThan(1e-6);

    // Weights with one value changed (same size): rebuilt, and the map follows the new weights.
    const weightsFile = path.join(root, 'clip.safetensors');
    const bytes = readFileSync(weightsFile);
    const before = statSync(weightsFile).size;
    bytes[bytes.length - 1]! ^= 0x40;
    writeFileSync(weightsFile, bytes);
    expect(statSync(weightsFile).size).toBe(before);
    const reweighted = await run();
    expect(reweighted.cache).toMatchObject({ vision: 'built', weightsRead: true, anchorsComputed: 1 });
    copyFileSync(fixtureFile('clip.safetensors'), weightsFile);
  });

  it('precision is part of the key', async () => {
    const int8 = await run({ precision: 'int8' });
    expect(int8.cache.vision).toBe('built');
    const fp32 = await run({ precision: 'fp32' });
    expect(fp32.cache.vision).toBe('hit');
  });

  it('a truncated or altered graph entry, or altered anchors, is rebuilt and never used', async () => {
    const base = await run();
    expect(base.cache.vision).toBe('hit');

    const vision = currentEntry('graphs', 'vision');
    truncateSync(path.join(vision, 'vision.onnx.data'), 1000);
    const afterTruncation = await run();
    expect(afterTruncation.cache.vision).toBe('rebuilt');
    expect(maxAbsError(afterTruncation.map, base.map)).toBeLessThan(1e-6);

    // Same size, one byte changed in the weights: only the checksum can tell.
    const data = path.join(currentEntry('graphs', 'vision'), 'vision.onnx.data');
    const bytes = readFileSync(data);
    bytes[bytes.length >> 1]! ^= 0x01;
    writeFileSync(data, bytes);
    const afterFlip = await run();
    expect(afterFlip.cache.vision).toBe('rebuilt');
    expect(maxAbsError(afterFlip.map, base.map)).toBeLessThan(1e-6);

    const anchorFile = path.join(currentEntry('anchors'), 'anchors.f32');
    const anchorBytes = readFileSync(anchorFile);
    anchorBytes.fill(0);
    writeFileSync(anchorFile, anchorBytes);
    const afterAnchors = await run();
    expect(afterAnchors.cache).toMatchObject({ anchorsFromCache: 0, anchorsComputed: 1 });
    expect(maxAbsError(afterAnchors.anchors, base.anchors)).toBe(0);
  });

  it('without a cache folder nothing is written and everything is built', async () => {
    const none = await run({ cacheDir: null });
    expect(none.cache).toEqual({ vision: 'built', text: 'built', anchorsFromCache: 0, anchorsComputed: 1, weightsRead: true });
    expect(maxAbsError(none.map, cold.map)).toBeLessThan(1e-6);
  });
});
