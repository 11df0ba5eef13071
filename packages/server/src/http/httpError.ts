import { AACLIP_ERROR_HTTP_STATUS, isAaclipError } from '@aaclip/core';
import { IMAGE_CONTENT_TYPES } from './imageContentTypes.js';

/** The machine-readable codes of the service's error responses. */
export type ErrorCode =
  | 'bad_request'
  | 'invalid_image'
  | 'no_image'
  | 'invalid_multipart'
  | 'too_many_pixels'
  | 'too_many_files'
  | 'too_many_class_names'
  | 'too_large'
  | 'body_too_large'
  | 'unsupported_media_type'
  | 'unsupported'
  | 'unauthorized'
  | 'not_found'
  | 'request_timeout'
  | 'queue_full'
  | 'not_ready'
  | 'deadline_exceeded'
  | 'shutting_down'
  | 'internal';

/** An error the service answers with `status` and `{"error": {"code", "message"}}`; `headers` go with it (Retry-After). */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

// Fastify's and its plugins' error codes for what the caller sent, and what the service calls them.
const FRAMEWORK_ERRORS: Readonly<Record<string, { status: number; code: ErrorCode; hint?: string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'body_too_large' },
  FST_REQ_FILE_TOO_LARGE: { status: 413, code: 'body_too_large' },
  FST_PARTS_LIMIT: { status: 413, code: 'too_many_files' },
  FST_FILES_LIMIT: { status: 413, code: 'too_many_files' },
  FST_FIELDS_LIMIT: { status: 413, code: 'too_many_files' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    hint: `send the image as the body with Content-Type ${IMAGE_CONTENT_TYPES.join(', ')}, or files as multipart/form-data`,
  },
  FST_INVALID_MULTIPART_CONTENT_TYPE: { status: 415, code: 'unsupported_media_type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'bad_request' },
  FST_ERR_VALIDATION: { status: 400, code: 'bad_request' },
  FST_PROTO_VIOLATION: { status: 400, code: 'bad_request' },
};

// The status of an AaclipError's code (core's table), under the service's names.
const AACLIP_CODE_NAMES: Readonly<Record<string, ErrorCode>> = {
  'bad-input': 'bad_request',
  unsupported: 'unsupported',
  'not-found': 'not_found',
  'too-large': 'too_large',
  unavailable: 'not_ready',
  internal: 'internal',
};

/**
 * Any error as an HttpError: ours as it is, an AaclipError by core's status table, a Fastify or
 * plugin error by its code (else by its 4xx status), anything else a 500 whose message is not shown.
 */
export function toHttpError(err: unknown, request: { contentType?: string } = {}): HttpError {
  if (err instanceof HttpError) return err;
  if (isAaclipError(err)) {
    const status = AACLIP_ERROR_HTTP_STATUS[err.code];
    return new HttpError(status, AACLIP_CODE_NAMES[err.code] ?? 'internal', status >= 500 ? 'the server could not score the image' : err.message);
  }
  const { code, statusCode, message } = (err ?? {}) as { code?: unknown; statusCode?: unknown; message?: unknown };
  const known = typeof code === 'string' ? FRAMEWORK_ERRORS[code] : undefined;
  const text = typeof message === 'string' ? message.split('\n')[0]! : 'bad request';
  if (known?.code === 'unsupported_media_type') {
    return new HttpError(known.status, known.code, `Content-Type "${request.contentType ?? ''}" is not accepted; ${known.hint}`);
  }
  if (known) return new HttpError(known.status, known.code, text);
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return new HttpError(statusCode, statusCode === 404 ? 'not_found' : statusCode === 408 ? 'request_timeout' : 'bad_request', text);
  }
  return new HttpError(500, 'internal', 'internal server error');
}

/** The JSON body of an error response. */
export function errorBody(err: HttpError): { error: { code: ErrorCode; message: string } } {
  return { error: { code: err.code, message: err.message } };
}
