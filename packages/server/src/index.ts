// @aaclip/server: the inspection service on Fastify. `createServer(detector, options)` gives a
// Fastify instance serving POST /v1/detect, GET /v1/health, /v1/ready, /metrics and /openapi.json.
export { createServer, type CreateServerOptions } from './createServer.js';
export { serverOptionsSchema, type ServerOptions, type ServerOptionsInput } from './serverOptions.js';
export {
  detectQuerySchema,
  detectResultSchema,
  detectResponseSchema,
  errorResponseSchema,
  healthResponseSchema,
  readyResponseSchema,
  MAP_FORMATS,
  MAX_CLASS_NAME_LENGTH,
  type DetectQuery,
  type DetectResult,
  type MapFormat,
} from './api/schemas.js';
export { openApiDocument } from './api/openApi.js';
export { BoundedQueue, QueueFullError } from './scoring/boundedQueue.js';
export { scoreUploads, type Upload } from './scoring/scoreUploads.js';
export { HttpError, type ErrorCode } from './http/httpError.js';
export { IMAGE_CONTENT_TYPES } from './http/imageContentTypes.js';
