import { parseArgs } from 'node:util';
import { AaclipError } from '@aaclip/core';
import { createServer, serverOptionsSchema, type CreateServerOptions } from '@aaclip/server';
import type { Command } from './command.js';
import { MODEL_OPTION_SPECS, MODEL_OPTIONS_HELP, parsePositiveInt, resolveModelOptions } from '../options/modelOptions.js';
import { startDetector } from '../options/startDetector.js';
import { createProgress } from '../output/progress.js';

const DEFAULTS = serverOptionsSchema.parse({});

const USAGE = `Usage: aaclip serve [model options] [--host 127.0.0.1] [--port 8080] [--token <bearer token>]
                    [--max-queue ${DEFAULTS.maxQueue}] [--concurrency ${DEFAULTS.concurrency}] [--max-pixels <n>] [--cors <origin>]

Serves the model over HTTP (Fastify). It listens at once and loads the model meanwhile
(GET /v1/ready answers 503 until it is loaded); scores and maps are those of \`aaclip detect\`.

  POST /v1/detect?class_name=<text>&map=none|png|f32
        the image as the body (Content-Type: image/png, image/jpeg, image/bmp, image/tiff, image/webp)
        → {"image_score", "pixel_max"}; or multipart/form-data files → an array, in upload order,
        each with "image" (the file name). map=png adds "map_png" (base64: the heatmap detect writes,
        colours spanning the request's maps), map=f32 "map_f32" (base64 little-endian float32 [S,S]).
  GET  /v1/health     the process is alive                GET /v1/ready   the model is loaded
  GET  /metrics       Prometheus metrics                  GET /openapi.json   the API (OpenAPI 3.1)
Every refusal is a 4xx (5xx for the server's side) with {"error": {"code", "message"}}.
Logs are JSON lines (pino) on stdout. SIGTERM or SIGINT: stop accepting, answer the requests in
flight, exit 0.

  --host <address>          address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --port <n>                TCP port (default 8080; 0 picks a free one, shown in the log)
  --token <token>           require "Authorization: Bearer <token>" on /v1/detect and /metrics
                            (default: $AACLIP_SERVE_TOKEN; neither → no authentication). The
                            environment keeps the token out of the process list.
  --max-queue <n>           requests that may wait for the model (default ${DEFAULTS.maxQueue}); past it → 429 with Retry-After
  --concurrency <n>         requests the model runs at once (default ${DEFAULTS.concurrency})
  --max-pixels <n>          largest width × height of an image, read from its header before decoding
                            (default ${DEFAULTS.maxPixels}) → 413
  --max-body-mib <n>        largest request body in MiB (default ${DEFAULTS.bodyLimit / 1024 / 1024}) → 413
  --max-files <n>           most files in one multipart request (default ${DEFAULTS.maxFiles}) → 413
  --deadline-ms <n>         time from a request's arrival to its answer (default ${DEFAULTS.deadlineMs}) → 503 past it
  --max-class-names <n>     distinct class names served (default ${DEFAULTS.maxClassNames}; each keeps its text anchors) → 422 past it
  --cors <origin>           let browser pages from this origin call the service (repeatable; "*" for any)

${MODEL_OPTIONS_HELP}

Examples:
  aaclip serve --model ./ViT-L-14-336-aaclip --port 8080
  curl -s --data-binary @bottle.png -H 'Content-Type: image/png' \\
    'http://127.0.0.1:8080/v1/detect?class_name=dark%20bottle'
  curl -s -F image=@a.png -F image=@b.png 'http://127.0.0.1:8080/v1/detect?class_name=dark%20bottle&map=png'`;

/** The server's settings from the flags; a value out of range is refused naming its flag. */
function serverOptions(values: Record<string, string | boolean | string[] | undefined>): CreateServerOptions {
  const number = (flag: string): number | undefined => parsePositiveInt(values[flag] as string | undefined, `--${flag}`);
  const maxQueue = values['max-queue'] === '0' ? 0 : number('max-queue');
  const maxBodyMib = number('max-body-mib');
  const cors = values.cors as string[] | undefined;
  const token = (values.token as string | undefined) ?? process.env.AACLIP_SERVE_TOKEN;
  const options: Record<string, unknown> = {
    maxQueue,
    concurrency: number('concurrency'),
    maxPixels: number('max-pixels'),
    bodyLimit: maxBodyMib === undefined ? undefined : maxBodyMib * 1024 * 1024,
    maxFiles: number('max-files'),
    deadlineMs: number('deadline-ms'),
    maxClassNames: number('max-class-names'),
    token: token === '' ? undefined : token,
    cors: cors === undefined ? undefined : cors.includes('*') ? true : cors,
  };
  const parsed = serverOptionsSchema.safeParse(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const flags: Record<string, string> = { maxQueue: '--max-queue', concurrency: '--concurrency', maxPixels: '--max-pixels', bodyLimit: '--max-body-mib', maxFiles: '--max-files', deadlineMs: '--deadline-ms', maxClassNames: '--max-class-names', token: '--token', cors: '--cors' };
    throw new AaclipError(issue.message, flags[String(issue.path[0])] ?? 'options');
  }
  return parsed.data;
}

/** Resolves on the first SIGTERM or SIGINT. */
function shutdownSignal(): { received: Promise<string>; remove(): void } {
  let handler!: (signal: string) => void;
  const received = new Promise<string>((resolve) => (handler = resolve));
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
  return { received, remove: () => (process.off('SIGTERM', handler), process.off('SIGINT', handler)) };
}

export const serveCommand: Command = {
  name: 'serve',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        ...MODEL_OPTION_SPECS,
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '8080' },
        token: { type: 'string' },
        'max-queue': { type: 'string' },
        concurrency: { type: 'string' },
        'max-pixels': { type: 'string' },
        'max-body-mib': { type: 'string' },
        'max-files': { type: 'string' },
        'deadline-ms': { type: 'string' },
        'max-class-names': { type: 'string' },
        cors: { type: 'string', multiple: true },
      },
    });
    if (positionals.length > 0) throw new AaclipError(`takes no images (got "${positionals[0]}"); post them to /v1/detect`, 'aaclip serve');
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new AaclipError(`expected a port number from 0 to 65535, got "${values.port}"`, '--port');
    const options = serverOptions(values);
    const choice = await resolveModelOptions(values);

    const signal = shutdownSignal();
    const detector = startDetector(choice, createProgress(process.stderr));
    detector.catch(() => {}); // reported below, after the server is closed
    const app = createServer(detector, { ...options, logger: { level: 'info' } });
    try {
      await app.listen({ host: values.host, port });
    } catch (err) {
      signal.remove();
      await app.close();
      await detector.then((d) => d.dispose(), () => {});
      throw new AaclipError(`cannot listen on ${values.host}:${port} (${err instanceof Error ? err.message : String(err)})`, '--port');
    }
    // Serve until SIGTERM or SIGINT; a model that fails to load ends it too.
    const outcome = await Promise.race([
      signal.received.then((name) => ({ signal: name })),
      detector.then(
        () => new Promise<never>(() => {}),
        (error: unknown) => ({ error }),
      ),
    ]);
    signal.remove();
    if ('signal' in outcome) app.log.info({ signal: outcome.signal }, 'shutting down: answering the requests in flight');
    await app.close();
    const loaded = await detector.catch(() => null);
    await loaded?.dispose();
    if ('error' in outcome) throw outcome.error;
    app.log.info('stopped');
    return 0;
  },
};
