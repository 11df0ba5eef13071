import { z } from 'zod';
import {
  detectQuerySchema,
  detectResponseSchema,
  errorResponseSchema,
  healthResponseSchema,
  readyResponseSchema,
} from './schemas.js';
import { IMAGE_CONTENT_TYPES } from '../http/imageContentTypes.js';

type JsonSchema = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), without the $schema line. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io });
  return rest;
}

const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
const error = (description: string): JsonSchema => ({ description, content: errorContent });

/** The query schema's fields as OpenAPI query parameters. */
function queryParameters(): JsonSchema[] {
  const schema = jsonSchema(detectQuerySchema, 'input') as { properties: Record<string, JsonSchema> };
  return Object.entries(schema.properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: 'query', required: false, description, schema: rest };
  });
}

/** The OpenAPI 3.1 document of the service, generated from the zod schemas the routes use. */
export function openApiDocument(options: { version: string; auth: boolean }): JsonSchema {
  const security = options.auth ? [{ bearer: [] }] : [];
  return {
    openapi: '3.1.0',
    info: {
      title: 'aaclip inspection service',
      version: options.version,
      description: 'Zero-shot visual anomaly detection (AA-CLIP): post an image, get its anomaly score and map.',
    },
    components: {
      schemas: {
        DetectResult: jsonSchema(detectResponseSchema),
        Error: jsonSchema(errorResponseSchema),
        Health: jsonSchema(healthResponseSchema),
        Ready: jsonSchema(readyResponseSchema),
      },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
    paths: {
      '/v1/detect': {
        post: {
          summary: 'Score one image (raw body) or several (multipart files)',
          security,
          parameters: queryParameters(),
          requestBody: {
            required: true,
            content: {
              ...Object.fromEntries(IMAGE_CONTENT_TYPES.map((type) => [type, { schema: { type: 'string', contentMediaType: type } }])),
              'multipart/form-data': {
                schema: { type: 'object', additionalProperties: { type: 'string', contentMediaType: 'application/octet-stream' } },
              },
            },
          },
          responses: {
            200: { description: 'the scores (and maps)', content: { 'application/json': { schema: { $ref: '#/components/schemas/DetectResult' } } } },
            400: error('bad query, not an image, truncated image, malformed form, no file'),
            401: error('missing or wrong bearer token'),
            404: error('unknown route'),
            413: error('body past the size limit, image past the pixel limit (checked before decoding), too many files'),
            415: error('a content type other than the image types and multipart/form-data'),
            429: error('the queue in front of the model is full; retry after the Retry-After header'),
            503: error('the model is not loaded yet, the deadline passed, or the server is shutting down'),
          },
        },
      },
      '/v1/health': {
        get: { summary: 'The process is alive', responses: { 200: { description: 'alive', content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } } } } },
      },
      '/v1/ready': {
        get: {
          summary: 'The model is loaded and detection requests are served',
          responses: {
            200: { description: 'ready', content: { 'application/json': { schema: { $ref: '#/components/schemas/Ready' } } } },
            503: { description: 'loading, failed to load, or shutting down', content: { 'application/json': { schema: { $ref: '#/components/schemas/Ready' } } } },
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics: requests by route and status, latency histogram, queue depth, images scored, process metrics',
          security,
          responses: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } }, 401: error('missing or wrong bearer token') },
        },
      },
      '/openapi.json': {
        get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } },
      },
    },
  };
}
