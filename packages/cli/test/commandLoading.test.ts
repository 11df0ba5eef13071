import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../test-support/fixture.js';

// Each command loads only the packages it uses: `aaclip pull` never starts onnxruntime-node,
// BullMQ or Fastify. Checked in a fresh child process (the CLI from its sources), which lists the
// CommonJS packages in its module cache after the command ran.

const WATCHED = ['onnxruntime-node', 'bullmq', 'fastify'] as const;

const PROBE = `
import { register, createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
const root = pathToFileURL(process.cwd() + '/');
register('./test-support/sourceHooks.mjs', root);
const { main } = await import(new URL('packages/cli/src/main.ts', root).href);
const code = await main(JSON.parse(process.argv[1]));
const loaded = Object.keys(createRequire(import.meta.url).cache).map((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(f)?.[1]);
process.stderr.write('\\nLOADED ' + JSON.stringify({ code, packages: [...new Set(loaded.filter(Boolean))] }) + '\\n');
`;

async function packagesLoadedBy(argv: string[]): Promise<string[]> {
  const { stderr } = await promisify(execFile)(process.execPath, ['--conditions=@aaclip/source', '--input-type=module', '-e', PROBE, JSON.stringify(argv)], {
    cwd: repoRoot,
  });
  const line = stderr.split('\n').find((l) => l.startsWith('LOADED '));
  if (!line) throw new Error(`the probe printed no LOADED line:\n${stderr}`);
  const { code, packages } = JSON.parse(line.slice('LOADED '.length)) as { code: number; packages: string[] };
  expect(code).toBe(0);
  return WATCHED.filter((p) => packages.includes(p));
}

describe('commands load what they use', () => {
  it('aaclip --help and the file and hub commands load no runtime, queue or server', async () => {
    const runs = await Promise.all([['--help'], ['pull', '--help'], ['info', '--help'], ['convert', '--help'], ['datasets', 'list']].map(packagesLoadedBy));
    expect(runs).toEqual([[], [], [], [], []]);
  });

  it('the queue commands load BullMQ but not onnxruntime; detect and serve load onnxruntime', async () => {
    const [submit, detect, serve] = await Promise.all([['submit', '--help'], ['detect', '--help'], ['serve', '--help']].map(packagesLoadedBy));
    expect(submit).toEqual(['bullmq']);
    expect(detect).toEqual(['onnxruntime-node']);
    expect(serve).toEqual(['onnxruntime-node', 'fastify']);
  });
});

describe('aaclip --version', () => {
  it("prints the CLI package's version without loading any command", async () => {
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'packages/cli/package.json'), 'utf8')) as { version: string };
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=@aaclip/source', path.join(repoRoot, 'test-support/aaclipFromSource.mjs'), '--version'], { cwd: repoRoot });
    expect(stdout.trim()).toBe(`aaclip ${manifest.version} (node ${process.versions.node})`);
    expect(await packagesLoadedBy(['--version'])).toEqual([]);
  });
});
