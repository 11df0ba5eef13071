import type { FastifyRequest } from 'fastify';
import { HttpError } from './httpError.js';
import type { Upload } from '../scoring/scoreUploads.js';

import { IMAGE_CONTENT_TYPES } from './imageContentTypes.js';

/**
 * The images of a detection request: the raw body (parsed as a buffer for IMAGE_CONTENT_TYPES), or
 * every file part of a multipart form (other fields are ignored), at most `bodyLimit` bytes in all.
 */
export async function readUploads(request: FastifyRequest, bodyLimit: number): Promise<{ uploads: Upload[]; multipart: boolean }> {
  if (request.isMultipart()) {
    const uploads: Upload[] = [];
    let total = 0;
    try {
      for await (const part of request.files()) {
        const bytes = await part.toBuffer();
        total += bytes.length;
        if (total > bodyLimit) throw new HttpError(413, 'body_too_large', `the files are past the limit of ${bodyLimit} bytes`);
        uploads.push({ name: part.filename || part.fieldname, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
      }
    } catch (err) {
      // Errors with a code are Fastify's and the plugin's (limits); others are the form's syntax
      // (busboy: "Unexpected end of form", a malformed header): the caller's mistake.
      if (err instanceof HttpError || (typeof (err as { code?: unknown }).code === 'string' && (err as { statusCode?: unknown }).statusCode !== undefined)) throw err;
      throw new HttpError(400, 'invalid_multipart', `the multipart form cannot be read (${err instanceof Error ? err.message : String(err)})`);
    }
    if (uploads.length === 0) throw new HttpError(400, 'no_image', 'the multipart form holds no file');
    return { uploads, multipart: true };
  }
  const body = request.body;
  if (!(body instanceof Buffer) || body.length === 0) {
    throw new HttpError(400, 'no_image', `send the image as the body (Content-Type: ${IMAGE_CONTENT_TYPES.join(', ')}) or as multipart/form-data files`);
  }
  return { uploads: [{ name: 'body', bytes: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) }], multipart: false };
}
