import { createHash } from 'node:crypto';
import { AaclipError } from '@aaclip/core';

/**
 * What travels through Redis. The image goes inside the job (its file's bytes, base64) and the
 * result comes back as the job's return value (the map's float32 bytes, base64): a worker needs
 * nothing but the Redis URL — no folder shared between machines — and Redis's append-only file
 * keeps inputs and results alike through a restart. The cost is Redis memory: every job holds its
 * image, and every finished job its map (S·S·4 bytes: 1 MiB at 518 px), until it is removed.
 */
export interface ScoringJobData {
  /** The object named in the prompts. */
  readonly className: string;
  /** Where the image came from (the path given to submit): only for messages. */
  readonly source: string;
  /** The image file's bytes, base64. */
  readonly image: string;
  /**
   * The settings the result must be made with, when the submitter needs particular ones (an
   * evaluation does): a worker whose detector has others refuses the job rather than score it.
   */
  readonly expect?: ExpectedSettings;
}

/** Settings a job asks of the worker's detector. */
export interface ExpectedSettings {
  readonly imageSize: number;
  readonly domain: string;
}

/** A scored image: the fields of detect's scores.json and maps.safetensors. */
export interface ScoringResult {
  readonly imageScore: number;
  readonly pixelMax: number;
  /** Side S of the map. */
  readonly imageSize: number;
  /** The anomaly map, row-major [S, S] float32 little-endian, base64. */
  readonly map: string;
}

/** The name every scoring job is added under. */
export const SCORING_JOB_NAME = 'score';

/** Largest image file a job carries (Redis keeps it until the job is removed). */
export const MAX_JOB_IMAGE_BYTES = 64 * 1024 * 1024;

/**
 * The job id of an image: SHA-256 of the class name (and expected settings) and the file's bytes, so the same image
 * submitted again (under any name, by anyone) with the same class is the same job and adds
 * nothing, while the same image under another class name is a job of its own.
 */
export function scoringJobId(className: string, image: Uint8Array, expect?: ExpectedSettings): string {
  const hash = createHash('sha256').update(className, 'utf8').update(new Uint8Array([0]));
  if (expect) hash.update(`${expect.imageSize}/${expect.domain}`, 'utf8').update(new Uint8Array([0]));
  return hash.update(image).digest('hex');
}

/** Packs a float32 map into the base64 text a job result carries. */
export function encodeMap(map: Float32Array): string {
  const bytes = Buffer.alloc(map.length * 4);
  for (let i = 0; i < map.length; i++) bytes.writeFloatLE(map[i]!, i * 4);
  return bytes.toString('base64');
}

/** Unpacks a map written by encodeMap, checking it holds S·S values. */
export function decodeMap(text: string, imageSize: number, jobId: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== imageSize * imageSize * 4) {
    throw new AaclipError(`result holds ${bytes.length} map bytes, expected ${imageSize}×${imageSize} float32`, `job ${jobId}`);
  }
  const map = new Float32Array(imageSize * imageSize);
  for (let i = 0; i < map.length; i++) map[i] = bytes.readFloatLE(i * 4);
  return map;
}

/** Checks a job's data as read from Redis (any client can add jobs to a queue). */
export function parseJobData(data: unknown, jobId: string): ScoringJobData {
  const d = data as Partial<ScoringJobData> | null;
  if (!d || typeof d.className !== 'string' || typeof d.source !== 'string' || typeof d.image !== 'string') {
    throw new AaclipError('is not an aaclip scoring job (expected {className, source, image})', `job ${jobId}`);
  }
  const e = d.expect as Partial<ExpectedSettings> | undefined;
  if (e !== undefined && (typeof e !== 'object' || e === null || !Number.isInteger(e.imageSize) || typeof e.domain !== 'string')) {
    throw new AaclipError('has malformed expected settings (expected {imageSize, domain})', `job ${jobId}`);
  }
  return { className: d.className, source: d.source, image: d.image, ...(e ? { expect: { imageSize: e.imageSize!, domain: e.domain! } } : {}) };
}

/** Checks a job's return value as read from Redis. */
export function parseResult(value: unknown, jobId: string): ScoringResult {
  const r = value as Partial<ScoringResult> | null;
  if (!r || typeof r.imageScore !== 'number' || typeof r.pixelMax !== 'number' || typeof r.map !== 'string' || !Number.isInteger(r.imageSize) || r.imageSize! <= 0) {
    throw new AaclipError('holds no aaclip scoring result (expected {imageScore, pixelMax, imageSize, map})', `job ${jobId}`);
  }
  return { imageScore: r.imageScore, pixelMax: r.pixelMax, imageSize: r.imageSize!, map: r.map };
}
