#!/usr/bin/env node
// Measures `aaclip convert` on an OpenAI-shaped TorchScript CLIP archive: wall time, CPU time and
// peak resident memory of the convert process. Not a test.
//
//   node scripts/bench-convert.mjs [--model ViT-B-16|ViT-L-14-336] [--keep]
//
// The archive is built here (test-support/torchArchives.ts, as torch.jit.save lays it out) with
// the model's real shapes in float16, as OpenAI ships them, and values that are not all equal; it
// is written to a temporary folder, converted by the CLI run from the TypeScript sources in a
// child process, and removed (unless --keep). The child reports its own figures
// (process.resourceUsage at exit), so the parent's memory is not counted.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { register } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODELS = {
  'ViT-B-16': { width: 768, layers: 12, patch: 16, grid: 14, textWidth: 512, textLayers: 12, embed: 512 },
  'ViT-L-14-336': { width: 1024, layers: 24, patch: 14, grid: 24, textWidth: 768, textLayers: 12, embed: 768 },
};

const { values } = parseArgs({ options: { model: { type: 'string', default: 'ViT-B-16' }, keep: { type: 'boolean' } } });
const m = MODELS[values.model];
if (!m) throw new Error(`--model: one of ${Object.keys(MODELS).join(', ')}`);

register('../test-support/sourceHooks.mjs', import.meta.url);
const { openAiScriptModule, torchScriptBytes } = await import('../test-support/torchArchives.ts');

/** A float16 tensor of `shape` whose values cycle through a few ordinary halves (1.0, 1.5, -0.5, 0.25). */
function half(shape) {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Uint16Array(n);
  const pattern = [0x3c00, 0x3e00, 0xb800, 0x3400];
  for (let i = 0; i < n; i++) data[i] = pattern[i & 3];
  return { dtype: 'F16', shape, data };
}

const weights = new Map();
const block = (prefix, w) => {
  for (const n of ['ln_1', 'ln_2']) {
    weights.set(`${prefix}.${n}.weight`, half([w]));
    weights.set(`${prefix}.${n}.bias`, half([w]));
  }
  weights.set(`${prefix}.attn.in_proj_weight`, half([3 * w, w]));
  weights.set(`${prefix}.attn.in_proj_bias`, half([3 * w]));
  weights.set(`${prefix}.attn.out_proj.weight`, half([w, w]));
  weights.set(`${prefix}.attn.out_proj.bias`, half([w]));
  weights.set(`${prefix}.mlp.c_fc.weight`, half([4 * w, w]));
  weights.set(`${prefix}.mlp.c_fc.bias`, half([4 * w]));
  weights.set(`${prefix}.mlp.c_proj.weight`, half([w, 4 * w]));
  weights.set(`${prefix}.mlp.c_proj.bias`, half([w]));
};
weights.set('visual.class_embedding', half([m.width]));
weights.set('visual.positional_embedding', half([m.grid * m.grid + 1, m.width]));
weights.set('visual.proj', half([m.width, m.embed]));
weights.set('visual.conv1.weight', half([m.width, 3, m.patch, m.patch]));
weights.set('visual.ln_pre.weight', half([m.width]));
weights.set('visual.ln_pre.bias', half([m.width]));
for (let i = 0; i < m.layers; i++) block(`visual.transformer.resblocks.${i}`, m.width);
weights.set('visual.ln_post.weight', half([m.width]));
weights.set('visual.ln_post.bias', half([m.width]));
weights.set('text_projection', half([m.textWidth, m.embed]));
weights.set('positional_embedding', half([77, m.textWidth]));
weights.set('token_embedding.weight', half([49408, m.textWidth]));
for (let i = 0; i < m.textLayers; i++) block(`transformer.resblocks.${i}`, m.textWidth);
weights.set('ln_final.weight', half([m.textWidth]));
weights.set('ln_final.bias', half([m.textWidth]));
weights.set('logit_scale', { dtype: 'F32', shape: [], data: new Float32Array([4.6]) });

const dir = mkdtempSync(path.join(os.tmpdir(), 'aaclip-bench-convert-'));
const archive = path.join(dir, `${values.model}.pt`);
const folder = values.model;
writeFileSync(archive, torchScriptBytes(openAiScriptModule(weights, { inputResolution: m.patch * m.grid, contextLength: 77, vocabSize: 49408 }), { '__torch__/model.py': '# not run\n' }, folder));
weights.clear();
const out = path.join(dir, 'out', 'open_clip_model.safetensors');

// The child runs the CLI from sources and prints its own resource usage as its last line.
const child = `
import { register } from 'node:module';
register(${JSON.stringify(pathToFileURL(path.join(repoRoot, 'test-support/sourceHooks.mjs')).href)});
const { main } = await import(${JSON.stringify(pathToFileURL(path.join(repoRoot, 'packages/cli/src/main.ts')).href)});
const start = performance.now();
const code = await main(['convert', ${JSON.stringify(archive)}, '--out', ${JSON.stringify(out)}]);
const wall = performance.now() - start;
const u = process.resourceUsage();
console.log(JSON.stringify({ code, wallMs: wall, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, maxRssMB: u.maxRSS / 1024 }));
`;
const run = spawnSync(process.execPath, ['--conditions=@aaclip/source', '--input-type=module', '-e', child], { encoding: 'utf8', maxBuffer: 1 << 24 });
if (run.status !== 0) {
  process.stderr.write(run.stdout + run.stderr);
  process.exit(1);
}
const lines = run.stdout.trim().split('\n');
const figures = JSON.parse(lines.at(-1));
console.log(lines.slice(0, -1).join('\n'));
console.log(
  `${values.model}: archive ${(statSync(archive).size / 1e6).toFixed(0)} MB → convert ${(figures.wallMs / 1000).toFixed(2)} s wall, ` +
    `${(figures.cpuMs / 1000).toFixed(2)} s CPU, peak RSS ${figures.maxRssMB.toFixed(0)} MB (the whole process, Node and the source loader included)`,
);
if (!values.keep) rmSync(dir, { recursive: true, force: true });
else console.log(`kept in ${dir}`);
