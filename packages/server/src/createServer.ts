import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import bearerAuth from '@fastify/bearer-auth';
import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import { AaclipError, type AnomalyDetector } from '@aaclip/core';
import { detectQuerySchema, type DetectResult } from './api/schemas.js';
import { openApiDocument } from './api/openApi.js';
import { HttpError, errorBody, toHttpError } from './http/httpError.js';
import { createMetrics } from './http/metrics.js';
import { IMAGE_CONTENT_TYPES } from './http/imageContentTypes.js';
import { readUploads } from './http/readUploads.js';
import { BoundedQueue, QueueFullError } from './scoring/boundedQueue.js';
import { scoreUploads } from './scoring/scoreUploads.js';
import { serverOptionsSchema, type ServerOptionsInput } from './serverOptions.js';
import { SERVER_VERSION } from './version.js';

export interface CreateServerOptions extends ServerOptionsInput {
  /**
   * Fastify's logger option: false (the default) logs nothing, true logs JSON lines (pino) to
   * stdout at level info, or pino options ({level, …}).
   */
  readonly logger?: FastifyServerOptions['logger'];
}

type ModelState =
  | { readonly status: 'loading' }
  | { readonly status: 'ready'; readonly detector: AnomalyDetector }
  | { readonly status: 'failed'; readonly error: string };

/**
 * The inspection service on Fastify: `POST /v1/detect`, `GET /v1/health`, `GET /v1/ready`,
 * `GET /metrics`, `GET /openapi.json`. `detector` may still be loading (a promise): the service
 * answers health checks at once and detection requests (503) only once it is ready. The caller
 * keeps the detector: `close()` waits for the requests in flight and leaves it to be disposed.
 * Call `listen({host, port})` on the result to serve.
 */
export function createServer(detector: AnomalyDetector | Promise<AnomalyDetector>, options: CreateServerOptions = {}): FastifyInstance {
  const { logger = false, ...rest } = options;
  const parsed = serverOptionsSchema.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AaclipError(issue.message, ['createServer options', ...issue.path].join('.'));
  }
  const settings = parsed.data;
  const app = Fastify({
    logger,
    bodyLimit: settings.bodyLimit,
    // Node's own limit on receiving a request (answered 408 by answerClientError when it applies).
    requestTimeout: settings.deadlineMs,
    // Requests arriving on open connections while closing get the service's own 503 (below).
    return503OnClosing: false,
    clientErrorHandler: answerClientError,
  });
  const queue = new BoundedQueue(settings.concurrency, settings.maxQueue);
  const metrics = createMetrics(queue);
  let closing = false;
  const classNames = new Set<string>();
  let model: ModelState = { status: 'loading' };
  Promise.resolve(detector).then(
    (loaded) => {
      model = { status: 'ready', detector: loaded };
      app.log.info({ backend: `${loaded.backend.name}/${loaded.device}`, imageSize: loaded.settings.imageSize }, 'model ready');
    },
    (err: unknown) => {
      model = { status: 'failed', error: err instanceof Error ? err.message : String(err) };
      app.log.error({ err }, 'model failed to load');
    },
  );

  app.setErrorHandler((err, request, reply) => {
    const http = toHttpError(err, { contentType: request.headers['content-type'] });
    if (http.status >= 500 && http.code === 'internal') request.log.error({ err }, 'request failed');
    else request.log.info({ code: http.code, message: http.message }, 'request refused');
    return reply.code(http.status).headers(http.headers).send(errorBody(http));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody(new HttpError(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`))),
  );
  app.addHook('onRequest', async (request, reply) => {
    // The probes keep answering while closing: /v1/ready then says "closing".
    if (closing && request.routeOptions.url !== '/v1/ready' && request.routeOptions.url !== '/v1/health') {
      reply.header('connection', 'close');
      throw new HttpError(503, 'shutting_down', 'the server is shutting down', { 'retry-after': '1' });
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    metrics.latency.observe({ route, method: request.method }, reply.elapsedTime / 1000);
  });
  app.addHook('preClose', async () => {
    closing = true;
  });
  // While closing, every answer (those in flight included) ends its connection: a keep-alive
  // connection left open would hold the close up until its idle timeout.
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  if (settings.cors !== false) void app.register(cors, { origin: settings.cors });
  // Only the image types and multipart forms are bodies the service reads; anything else is a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser([...IMAGE_CONTENT_TYPES], { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  void app.register(multipart, { limits: { fileSize: settings.bodyLimit, files: settings.maxFiles, fields: 32, parts: settings.maxFiles + 32 }, throwFileSizeLimit: true });

  app.get('/v1/health', async () => ({ status: 'ok' as const }));
  app.get('/v1/ready', async (_request, reply) => {
    if (closing) return reply.code(503).send({ status: 'closing' });
    if (model.status !== 'ready') return reply.code(503).send({ status: model.status });
    const { backend, device, settings: detectorSettings } = model.detector;
    return { status: 'ready', backend: `${backend.name}/${device}`, image_size: detectorSettings.imageSize };
  });
  const document = openApiDocument({ version: SERVER_VERSION, auth: settings.token !== undefined });
  app.get('/openapi.json', async () => document);

  // Routes behind the bearer token (when there is one): the model and the metrics.
  void app.register(async (scope) => {
    if (settings.token !== undefined) {
      await scope.register(bearerAuth, {
        keys: [settings.token],
        verifyErrorLogLevel: 'info',
        // The plugin sends whatever this returns; its types only foresee {error: string}.
        errorResponse: ((err: Error) => errorBody(new HttpError(401, 'unauthorized', err.message))) as unknown as (err: Error) => { error: string },
      });
    }
    scope.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
    scope.post('/v1/detect', async (request, reply) => {
      const query = detectQuerySchema.safeParse(request.query);
      if (!query.success) {
        const issue = query.error.issues[0]!;
        throw new HttpError(400, 'bad_request', `query ${issue.path.join('.') || 'string'}: ${issue.message}`);
      }
      if (model.status !== 'ready') {
        const why = model.status === 'loading' ? 'the model is still loading' : `the model failed to load (${model.error})`;
        throw new HttpError(503, 'not_ready', why, model.status === 'loading' ? { 'retry-after': '5' } : {});
      }
      const { detector: loaded } = model;
      const className = query.data.class_name;
      if (!classNames.has(className) && classNames.size >= settings.maxClassNames) {
        throw new HttpError(422, 'too_many_class_names', `this server has served its limit of ${settings.maxClassNames} distinct class names; use one of those`);
      }
      const { uploads, multipart: isMultipart } = await readUploads(request, settings.bodyLimit);
      const results = await withDeadline(reply, settings.deadlineMs, (signal) =>
        queue.run(() => scoreUploads(loaded, uploads, { className, map: query.data.map, maxPixels: settings.maxPixels }), signal),
      );
      classNames.add(className);
      metrics.imagesScored.inc(results.length);
      return isMultipart ? results.map((r, i): DetectResult => ({ image: uploads[i]!.name, ...r })) : results[0]!;
    });
  });
  return app;

  /**
   * Runs `work` with a signal that aborts at the request's deadline (counted from its arrival) or
   * when its client goes away, answering 503 at the deadline (work already on the model finishes
   * in the background) and 429 with Retry-After when the queue is full.
   */
  async function withDeadline<T>(reply: FastifyReply, deadlineMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const remaining = Math.max(0, deadlineMs - reply.elapsedTime);
    const expired = new HttpError(503, 'deadline_exceeded', `no result within the deadline of ${deadlineMs} ms`, { 'retry-after': String(queue.retryAfterSeconds()) });
    const timer = setTimeout(() => controller.abort(expired), remaining);
    const onClose = (): void => {
      if (!reply.raw.writableEnded) controller.abort(new HttpError(499, 'bad_request', 'the client closed the connection'));
    };
    reply.raw.once('close', onClose);
    try {
      const running = work(controller.signal);
      running.catch(() => {}); // answered below or by the deadline; never left unhandled
      return await Promise.race([running, aborted(controller.signal)]);
    } catch (err) {
      if (err instanceof QueueFullError) {
        throw new HttpError(429, 'queue_full', `the model is busy: ${err.message}`, { 'retry-after': String(queue.retryAfterSeconds()) });
      }
      throw err;
    } finally {
      clearTimeout(timer);
      reply.raw.off('close', onClose);
    }
  }
}

/**
 * Answers a request Node's HTTP parser refused — malformed, cut off (the client ended its side
 * before the body it announced), headers too large, too slow — with the service's error body.
 */
function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, error] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', new HttpError(408, 'request_timeout', 'the request was not received within the deadline')]
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', new HttpError(431, 'bad_request', 'the request headers are too large')]
        : [400, 'Bad Request', new HttpError(400, 'bad_request', `the request cannot be read (${err.code ?? err.message})`)];
  const body = JSON.stringify(errorBody(error));
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

/** A promise that rejects with the signal's reason once it aborts. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
