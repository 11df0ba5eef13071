import { z } from 'zod';
import { MAX_IMAGE_PIXELS } from '@aaclip/node-io';

/** The settings of createServer, with their defaults (one source of truth: `aaclip serve` shows these). */
export const serverOptionsSchema = z
  .object({
    /** Detection requests the model runs at once. */
    concurrency: z.number().int().min(1).max(64).default(1),
    /** Detection requests that may wait for the model; past it → 429 with Retry-After. */
    maxQueue: z.number().int().min(0).max(100_000).default(64),
    /** Largest width × height of an uploaded image, checked from its header before decoding → 413. */
    maxPixels: z.number().int().min(1).max(MAX_IMAGE_PIXELS).default(25_000_000),
    /** Largest request body in bytes (a raw image, or all multipart files together) → 413. */
    bodyLimit: z.number().int().min(1).max(1024 * 1024 * 1024).default(32 * 1024 * 1024),
    /** Most files in one multipart request → 413. */
    maxFiles: z.number().int().min(1).max(1024).default(16),
    /** Milliseconds from a request's arrival to its answer: receiving it, waiting and scoring → 503 past it. */
    deadlineMs: z.number().int().min(1).max(3_600_000).default(30_000),
    /**
     * Distinct class names served: each one's text anchors are computed once and kept by the
     * detector, so a client sending ever new names would grow memory without end; past this
     * many, a new name is refused (422) while known ones go on.
     */
    maxClassNames: z.number().int().min(1).max(1_000_000).default(256),
    /** Bearer token every route but /v1/health, /v1/ready and /openapi.json requires; omitted → no auth. */
    token: z.string().min(1).optional(),
    /**
     * Origins browser clients may call from (CORS): true → any, a list → those; omitted or false → no
     * CORS headers (browsers then refuse cross-origin calls).
     */
    cors: z.union([z.boolean(), z.array(z.string().min(1))]).default(false),
  })
  .strict();

export type ServerOptionsInput = z.input<typeof serverOptionsSchema>;
export type ServerOptions = z.output<typeof serverOptionsSchema>;
