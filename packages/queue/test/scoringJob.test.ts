import { describe, expect, it } from 'vitest';
import { AaclipError } from '@aaclip/core';
import { connectRedis, decodeMap, encodeMap, scoringJobId } from '../src/index.js';
import { parseJobData, parseResult } from '../src/scoringJob.js';

describe('scoring jobs', () => {
  const bytes = new Uint8Array([137, 80, 78, 71, 1, 2, 3]);

  it('are named by the hash of the class name, the expected settings and the bytes', () => {
    const id = scoringJobId('bottle', bytes);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(scoringJobId('bottle', new Uint8Array(bytes))).toBe(id);
    expect(scoringJobId('screw', bytes)).not.toBe(id);
    expect(scoringJobId('bottle', new Uint8Array([...bytes, 0]))).not.toBe(id);
    expect(scoringJobId('bottle', bytes, { imageSize: 48, domain: 'industrial' })).not.toBe(id);
    expect(scoringJobId('bottle', bytes, { imageSize: 48, domain: 'medical' })).not.toBe(scoringJobId('bottle', bytes, { imageSize: 48, domain: 'industrial' }));
    // The class name and the bytes are kept apart: "ab"+"c…" is not "a"+"bc…".
    expect(scoringJobId('ab', new Uint8Array([99]))).not.toBe(scoringJobId('a', new Uint8Array([98, 99])));
  });

  it('carry maps bit for bit', () => {
    const map = new Float32Array([0, -0, 1.5, 3.4028234663852886e38, 1.401298464324817e-45, 0.1, -7]);
    const square = new Float32Array(9).map((_, i) => map[i % map.length]!);
    const decoded = decodeMap(encodeMap(square), 3, 'job');
    expect(Buffer.from(decoded.buffer)).toEqual(Buffer.from(square.buffer));
  });

  it('refuse a map of the wrong size and data that is not a job of theirs', () => {
    expect(() => decodeMap(encodeMap(new Float32Array(8)), 3, 'abc')).toThrow(/job abc: result holds 32 map bytes, expected 3×3 float32/);
    expect(() => parseJobData({ image: 'x' }, 'j1')).toThrow(AaclipError);
    expect(() => parseJobData({ className: 'a', source: 's', image: 'x', expect: { imageSize: '48', domain: 'industrial' } }, 'j1')).toThrow(/malformed expected settings/);
    expect(parseJobData({ className: 'a', source: 's', image: 'x', extra: 1 }, 'j1')).toEqual({ className: 'a', source: 's', image: 'x' });
    expect(() => parseResult({ imageScore: 1, pixelMax: 1, imageSize: 0, map: '' }, 'j2')).toThrow(/job j2: holds no aaclip scoring result/);
  });
});

describe('connectRedis', () => {
  it('names the setting for a URL that is not redis://', async () => {
    await expect(connectRedis('http://127.0.0.1:6379', '--redis')).rejects.toThrow('--redis: expected a redis:// or rediss:// URL, got "http://127.0.0.1:6379"');
    await expect(connectRedis('not a url', '--redis')).rejects.toThrow('--redis: expected a redis://host:port URL');
  });

  it('says so when nothing answers, without showing the password', async () => {
    // Port 1 on loopback: nothing listens there.
    const err = await connectRedis('redis://user:secret@127.0.0.1:1', '--redis').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AaclipError);
    expect((err as Error).message).toMatch(/^--redis: cannot reach the Redis server at redis:\/\/user:\*\*\*@127\.0\.0\.1:1/);
    expect((err as Error).message).not.toContain('secret');
  });
});
