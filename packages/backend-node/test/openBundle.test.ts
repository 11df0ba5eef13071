// Bundles are untrusted input: a manifest is bounded and checked before any file is read, every
// file is checked against its size and sha256, and each refusal is one line naming the file.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnomalyDetector, buildBundle, detectorFromBundle, detectorModelFromBytes, openBundle, parseBundleManifest, type BundleContents, type BundleManifest } from '@aaclip/core';
import { openBundleDir, writeBundleDir } from '@aaclip/backend-node';
import { fixtureFile, vocabPath } from '../../../test-support/fixture.js';
import { fixtureTensors } from '../../../test-support/fixtureLoader.js';
import { CONFORMANCE_TOLERANCES, maxAbsError } from '@aaclip/core/testing';

const encode = (json: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(json));
const named = (file: string) => ({ name: file, bytes: new Uint8Array(readFileSync(file)) });

let work: string;
let contents: BundleContents;
let manifest: BundleManifest;
const reads: string[] = [];

/** A reader over the built bundle's files (recording what it was asked for). */
const reader = (files: ReadonlyMap<string, Uint8Array>) => async (path: string): Promise<Uint8Array> => {
  reads.push(path);
  const bytes = files.get(path);
  if (!bytes) throw new Error(`no ${path}`);
  return bytes;
};
const filesOf = (c: BundleContents) => new Map(c.files.map((f) => [f.path, f.data]));

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'aaclip-bundle-'));
  const vocabulary = named(vocabPath);
  const model = await detectorModelFromBytes({
    config: named(fixtureFile('open_clip_config.json')),
    weights: named(fixtureFile('clip.safetensors')),
    vocabulary,
    adapters: [named(fixtureFile('adapters.safetensors'))],
  });
  contents = await buildBundle(model, { settings: { imageSize: 48 }, classNames: ['dark bottle'], vocabulary, backend: 'node', device: 'cpu' });
  manifest = contents.manifest;
});

describe('openBundle', () => {
  it('opens the built bundle (Web Crypto hashes) and runs it: the golden map of the unresized image', async () => {
    for (const f of manifest.files) expect(f.sha256).toBe(createHash('sha256').update(contents.files.find((c) => c.path === f.path)!.data).digest('hex'));
    const opened = await openBundle(encode(manifest), reader(filesOf(contents)), { source: 'mem' });
    expect([...opened.anchors.keys()]).toEqual(['dark bottle']);
    const detector = await detectorFromBundle(opened, { backend: 'node', device: 'cpu' });
    try {
      const golden = fixtureTensors('golden.safetensors');
      const pixels = (golden.get('pixel_values')!.data as Float32Array).subarray(2 * 3 * 48 * 48, 3 * 3 * 48 * 48);
      const [detection] = await detector.detect([pixels], 'dark bottle');
      const map = (golden.get('anomaly_map')!.data as Float32Array).subarray(2 * 48 * 48);
      expect(maxAbsError(detection!.anomalyMap, map)).toBeLessThanOrEqual(CONFORMANCE_TOLERANCES.maps);
      await expect(detectorFromBundle(opened, { backend: 'node', device: 'cpu', imageSize: 64 })).rejects.toThrow('image size: is 64, but the bundle\'s graphs are built for 48');
    } finally {
      await detector.dispose();
    }
  });

  it('refuses precomputed anchors of the wrong size before any session is loaded', async () => {
    const opened = await openBundle(encode(manifest), reader(filesOf(contents)), { source: 'mem' });
    const options = { backend: 'node', device: 'cpu', settings: manifest.settings, anchors: new Map([['x', new Float32Array(3)]]) };
    await expect(AnomalyDetector.fromModels(opened.models, options)).rejects.toThrow('anchors of "x": has 3 values, [48, 2] needs 96');
  });

  it('refuses a file whose bytes differ, naming it', async () => {
    const files = filesOf(contents);
    const changed = new Uint8Array(files.get('text.onnx')!);
    changed[7] = changed[7]! ^ 0x80;
    files.set('text.onnx', changed);
    await expect(openBundle(encode(manifest), reader(files), { source: 'https://x/b/' })).rejects.toThrow(
      "https://x/b/text.onnx: its sha256 differs from the bundle manifest's: the file was changed or damaged",
    );
  });

  it('refuses a file of another size before hashing it', async () => {
    const files = filesOf(contents);
    files.set('anchors.safetensors', files.get('anchors.safetensors')!.subarray(1));
    await expect(openBundle(encode(manifest), reader(files), { source: 'b' })).rejects.toThrow(/^b\/anchors\.safetensors: is \d+ bytes, the bundle manifest says \d+/);
  });
});

describe('parseBundleManifest', () => {
  const refused = (change: (m: Record<string, unknown>) => unknown): string => {
    const m = JSON.parse(JSON.stringify(manifest)) as Record<string, unknown>;
    try {
      parseBundleManifest(encode(change(m) ?? m), 'aaclip-bundle.json');
    } catch (err) {
      return (err as Error).message;
    }
    return 'accepted';
  };

  it('accepts what buildBundle writes', () => {
    expect(refused(() => undefined)).toBe('accepted');
  });

  it('refuses file names that leave the folder or are hidden, before any file is read', async () => {
    reads.length = 0;
    const bad = JSON.parse(JSON.stringify(manifest)) as BundleManifest;
    (bad.files[0] as { path: string }).path = '../../etc/passwd';
    await expect(openBundle(encode(bad), reader(filesOf(contents)), { source: 'b' })).rejects.toThrow(/^b\/aaclip-bundle\.json: files\.0\.path: must be a plain file name/);
    expect(reads).toEqual([]);
    expect(refused((m) => void ((m.graphs as { text: { externalData: string[] } }).text.externalData = ['.hidden']))).toMatch(/graphs\.text\.externalData\.0: must be a plain file name/);
    expect(refused((m) => void ((m.tokenizer as { vocabulary: string }).vocabulary = 'a/b.txt'))).toMatch(/tokenizer\.vocabulary: must be a plain file name/);
  });

  it('refuses files referenced but not listed, listed twice, unknown versions and keys, and oversized manifests', () => {
    expect(refused((m) => void (m.files = (m.files as { path: string }[]).filter((f) => f.path !== 'text.onnx')))).toBe('aaclip-bundle.json: graphs.text.file: "text.onnx" is not listed in files');
    expect(refused((m) => void (m.files = [...(m.files as unknown[]), (m.files as unknown[])[0]]))).toBe('aaclip-bundle.json: files: "vision.onnx" is listed twice');
    expect(refused((m) => void (m.formatVersion = 2))).toBe('aaclip-bundle.json: formatVersion: 2 is not a bundle version this aaclip reads (it reads 1)');
    expect(refused((m) => void (m.extra = 1))).toMatch(/^aaclip-bundle\.json: Unrecognized key: "extra"/);
    expect(refused((m) => void (m.imageSize = 64))).toBe('aaclip-bundle.json: imageSize 64 differs from settings.imageSize 48');
    expect(refused((m) => void ((m.files as { size: number }[])[0]!.size = 2 ** 40 * 100))).toMatch(/^aaclip-bundle\.json: files\.0\.size: /);
    const huge = new Uint8Array(4 * 1024 * 1024 + 1).fill(0x20);
    expect(() => parseBundleManifest(huge, 'm.json')).toThrow('m.json: is 4194305 bytes, over the 4194304-byte limit for a bundle manifest');
    expect(() => parseBundleManifest(new TextEncoder().encode('{"format":'), 'm.json')).toThrow(/^m\.json: not valid JSON/);
  });
});

describe('bundle folders', () => {
  it('writes a bundle atomically and opens it back with the same manifest and anchors', async () => {
    const out = path.join(work, 'written');
    await writeBundleDir(out, contents);
    expect(readdirSync(out).sort()).toEqual(['aaclip-bundle.json', ...manifest.files.map((f) => f.path)].sort());
    expect(readdirSync(work).filter((n) => n.startsWith('.'))).toEqual([]);
    const opened = await openBundleDir(out);
    expect(opened.manifest).toEqual(manifest);
    const fromMemory = await openBundle(encode(manifest), reader(filesOf(contents)), { source: 'memory' });
    expect(opened.anchors.get('dark bottle')).toEqual(fromMemory.anchors.get('dark bottle'));
  });

  it('leaves nothing behind and the target untouched when a write fails', async () => {
    const out = path.join(work, 'kept');
    mkdirSync(out);
    writeFileSync(path.join(out, 'notes.txt'), 'mine');
    // Two files of one name: the second write fails (files are created exclusively).
    const broken: BundleContents = { manifest, files: [...contents.files, contents.files[0]!] };
    await expect(writeBundleDir(out, broken, { force: true })).rejects.toThrow(/EEXIST/);
    expect(readdirSync(out)).toEqual(['notes.txt']);
    expect(readdirSync(work).filter((n) => n.startsWith('.'))).toEqual([]);
    await expect(writeBundleDir(out, contents)).rejects.toThrow(`--out: ${out} is not empty (give --force to replace it)`);
  });
});
