// A small static server for the demo page on localhost. It serves the page, its bundle, and
// onnxruntime-web's wasm runtime from node_modules; `--mount name=DIR` also serves the files of
// DIR under /files/<name>/ (e.g. a model folder, so the page can load it by URL).
//
//   node packages/backend-web/demo/serveDemo.mjs [--port 8080] [--host 127.0.0.1] [--mount fixture=DIR] [--no-build]
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDemo, demoDir, demoDistDir } from './buildDemo.mjs';

const ortDistDir = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.txt': 'text/plain; charset=utf-8',
};

/** A plain file name: no folders, no dot-files, so requests cannot leave the served folders. */
const plainName = (name) => /^[\w][\w.-]*$/.test(name) && !name.includes('..');

/**
 * Maps a URL path to a file, or null. Routes: "/" → index.html; "/<page>.html", "/style.css" from
 * demo/; "/dist/<file>" from the bundle; "/ort/<file>" from onnxruntime-web's dist; "/files/<mount>/<file>".
 */
function resolveFile(urlPath, mounts) {
  const parts = urlPath.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return path.join(demoDir, 'index.html');
  if (!parts.every(plainName)) return null;
  const [first, second, third] = parts;
  if (parts.length === 1 && /\.(html|css)$/.test(first)) return path.join(demoDir, first);
  if (parts.length === 2 && first === 'dist') return path.join(demoDistDir, second);
  if (parts.length === 2 && first === 'ort' && /^ort-wasm[\w.-]*\.(wasm|mjs)$/.test(second)) return path.join(ortDistDir, second);
  if (parts.length === 3 && first === 'files' && mounts.has(second)) return path.join(mounts.get(second), third);
  return null;
}

/**
 * Starts the server; resolves once it listens. Port 0 picks a free port. The page is served
 * cross-origin isolated (COOP/COEP) so onnxruntime-web may use wasm threads.
 * @param {{port?: number, host?: string, mounts?: Record<string, string>, build?: boolean}} options
 * @returns {Promise<{url: string, close: () => Promise<void>}>}
 */
export async function startDemoServer({ port = 8080, host = '127.0.0.1', mounts = {}, build = true } = {}) {
  if (build) await buildDemo();
  const mountMap = new Map(Object.entries(mounts).map(([name, dir]) => [name, path.resolve(dir)]));
  const server = http.createServer(async (req, res) => {
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-store');
    const file = req.method === 'GET' || req.method === 'HEAD' ? resolveFile(new URL(req.url ?? '/', 'http://x').pathname, mountMap) : null;
    const info = file ? await stat(file).catch(() => null) : null;
    if (!file || !info?.isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Length': info.size,
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${address.port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function parseArguments(argv) {
  const options = { port: 8080, host: '127.0.0.1', mounts: {}, build: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--port') options.port = Number(value());
    else if (flag === '--host') options.host = value();
    else if (flag === '--no-build') options.build = false;
    else if (flag === '--mount') {
      const [name, dir] = value().split(/=(.*)/s);
      if (!name || !dir || !plainName(name)) throw new Error(`--mount takes NAME=DIR, got "${argv[i]}"`);
      options.mounts[name] = dir;
    } else throw new Error(`unknown option ${flag} (options: --port, --host, --mount NAME=DIR, --no-build)`);
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new Error('--port must be 0–65535');
  return options;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const options = parseArguments(process.argv.slice(2));
    const { url } = await startDemoServer(options);
    console.log(`AA-CLIP demo: ${url}`);
    for (const [name, dir] of Object.entries(options.mounts)) console.log(`  ${url}files/${name}/ → ${path.resolve(dir)}`);
    console.log('Press Ctrl+C to stop.');
  } catch (err) {
    console.error(`demo:web: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
