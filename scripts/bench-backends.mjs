#!/usr/bin/env node
// Benchmark: milliseconds per image of the tiny-aaclip fixture model (run at 48×48) on every
// backend and device this machine offers. Not a test.
//
//   npm run build && node scripts/bench-backends.mjs [--rounds 5] [--only node/cpu,web/wasm,...]
//
// Each measurement is what `aaclip detect` and the demo page do per image once the model is
// loaded and the class's anchors are computed: preprocessing (resize, normalise), the vision
// model run and the host-side scoring. One warm-up pass over the three fixture images (it also
// compiles GPU shaders), then `--rounds` timed passes; the figure is the mean per image.
//
// Targets: node/cpu, node/webgpu (onnxruntime-node; without a GPU it retries on Chromium's
// SwiftShader Vulkan driver), web/wasm in Node, and web/webgpu + web/wasm inside headless Chromium
// (the demo page, driven by playwright-core). Each Node target runs in its own child process.
// Prints a table and the JSON of every result; an unavailable target is listed with its reason.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const scriptPath = fileURLToPath(import.meta.url);
const repoRoot = path.resolve(path.dirname(scriptPath), '..');
const sharedDir = process.env.AACLIP_SHARED ?? path.resolve(repoRoot, '../shared');
const fixtureDir = path.join(sharedDir, 'fixtures/tiny-aaclip');
const vocabPath = path.join(sharedDir, 'clip/bpe_simple_vocab_16e6.txt.gz');
const images = ['img0.png', 'img1.png', 'img2.png'].map((name) => path.join(fixtureDir, 'images', name));
const RUN = { imageSize: 48, domain: 'industrial', className: 'dark bottle' };
const SWIFTSHADER_DIR = '/usr/lib/chromium';
const SWIFTSHADER_ICD = path.join(SWIFTSHADER_DIR, 'vk_swiftshader_icd.json');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    only: { type: 'string' },
    // Internal: measure one Node target in this process and print its JSON.
    child: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error('bench-backends: --rounds must be a positive integer');
  process.exit(2);
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** One Node target, in this process: { target, msPerImage, loadMs } or { target, unavailable }. */
async function measureInNode(target) {
  const [backend, device] = target.split('/');
  const { AnomalyDetector } = await import('@aaclip/core');
  const { loadModelFiles, decodeImageFile } = await import('@aaclip/backend-node');
  await import('@aaclip/backend-web');
  const model = await loadModelFiles({
    modelConfig: path.join(fixtureDir, 'open_clip_config.json'),
    weights: path.join(fixtureDir, 'clip.safetensors'),
    adapters: [path.join(fixtureDir, 'adapters.safetensors')],
    vocab: vocabPath,
  });
  const decoded = await Promise.all(images.map((file) => decodeImageFile(file)));
  const loadStart = performance.now();
  let detector;
  try {
    detector = await AnomalyDetector.create(model, { settings: { imageSize: RUN.imageSize, domain: RUN.domain }, backend, device });
    await detector.detect([decoded[0]], RUN.className); // anchors, first run
  } catch (err) {
    return { target, unavailable: (err instanceof Error ? err.message : String(err)).split('\n')[0] };
  }
  const loadMs = performance.now() - loadStart;
  for (const image of decoded) await detector.detect([image], RUN.className); // warm-up
  const perImage = [];
  for (let r = 0; r < rounds; r++) {
    for (const image of decoded) {
      const start = performance.now();
      await detector.detect([image], RUN.className);
      perImage.push(performance.now() - start);
    }
  }
  await detector.dispose();
  return { target, msPerImage: mean(perImage), minMs: Math.min(...perImage), loadMs, runs: perImage.length };
}

/** Runs one Node target in a child process (optionally with extra environment). */
function measureInChild(target, env = {}) {
  const child = spawnSync(process.execPath, [scriptPath, '--child', target, '--rounds', String(rounds)], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = child.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line);
  } catch {
    return { target, unavailable: `the child process failed: ${(child.stderr || child.stdout).trim().split('\n').at(-1)}` };
  }
}

/** web/webgpu and web/wasm in headless Chromium, through the demo page. */
async function measureInChromium(devices) {
  if (!existsSync(CHROMIUM)) return devices.map((d) => ({ target: `web/${d} (Chromium)`, unavailable: `no Chromium at ${CHROMIUM}` }));
  const { chromium } = await import('playwright-core');
  const { startDemoServer } = await import('../packages/backend-web/demo/serveDemo.mjs');
  const server = await startDemoServer({ port: 0, mounts: { fixture: fixtureDir, clip: path.dirname(vocabPath) } });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--no-sandbox'],
  });
  const results = [];
  try {
    for (const device of devices) {
      const target = `web/${device} (Chromium)`;
      const page = await browser.newPage();
      await page.goto(server.url);
      const settled = () =>
        page.waitForFunction(() => ['idle', 'ready'].includes(globalThis.aaclipDemo?.state), null, { timeout: 600_000, polling: 100 });
      await settled();
      await page.click('#tab-urls');
      await page.fill('#weights-url', `${server.url}files/fixture/clip.safetensors`);
      await page.fill('#config-url', `${server.url}files/fixture/open_clip_config.json`);
      await page.fill('#vocab-url', `${server.url}files/clip/${path.basename(vocabPath)}`);
      await page.fill('#adapters-url', `${server.url}files/fixture/adapters.safetensors`);
      await page.fill('#image-size', String(RUN.imageSize));
      await page.fill('#class-name', RUN.className);
      await page.selectOption('#device-choice', device);
      const loadStart = performance.now();
      await page.click('#load-model');
      await settled();
      const error = await page.evaluate(() => globalThis.aaclipDemo.lastError);
      if (error) {
        results.push({ target, unavailable: error });
        await page.close();
        continue;
      }
      const detectOnce = async (file) => {
        await page.setInputFiles('#image-file', file);
        await page.waitForFunction(() => !globalThis.document.getElementById('detect').disabled, null, { polling: 50 });
        await page.click('#detect');
        await settled();
        return page.evaluate(() => globalThis.aaclipDemo.lastDetection.milliseconds);
      };
      await detectOnce(images[0]); // anchors, shader compilation
      const loadMs = performance.now() - loadStart;
      for (const file of images) await detectOnce(file);
      const perImage = [];
      for (let r = 0; r < rounds; r++) for (const file of images) perImage.push(await detectOnce(file));
      const adapter = await page.evaluate(async () => {
        const a = await navigator.gpu?.requestAdapter();
        return a ? `${a.info.vendor} ${a.info.architecture}`.trim() : 'none';
      });
      results.push({ target, msPerImage: mean(perImage), minMs: Math.min(...perImage), loadMs, runs: perImage.length, ...(device === 'webgpu' ? { adapter } : {}) });
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return results;
}

if (values.child) {
  console.log(JSON.stringify(await measureInNode(values.child)));
  process.exit(0);
}

const wanted = values.only ? new Set(values.only.split(',')) : null;
const want = (target) => !wanted || wanted.has(target);
const results = [];
for (const target of ['node/cpu', 'node/webgpu', 'web/wasm']) {
  if (!want(target)) continue;
  let result = measureInChild(target);
  if (target === 'node/webgpu' && result.unavailable && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
    // No GPU adapter: Chromium's SwiftShader (a Vulkan driver on the CPU) stands in.
    result = measureInChild(target, {
      VK_ICD_FILENAMES: SWIFTSHADER_ICD,
      LD_LIBRARY_PATH: [SWIFTSHADER_DIR, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
    });
    result.target = 'node/webgpu (SwiftShader)';
  }
  if (target === 'web/wasm') result.target = 'web/wasm (Node)';
  results.push(result);
}
const browserDevices = ['webgpu', 'wasm'].filter((d) => want(`web/${d}`) || want(`chromium/${d}`));
if (browserDevices.length) results.push(...(await measureInChromium(browserDevices)));

const width = Math.max(...results.map((r) => r.target.length));
console.log(`tiny-aaclip fixture (ViT topology, 24+12 blocks, width 64/48) at ${RUN.imageSize}×${RUN.imageSize}; ${rounds} rounds × ${images.length} images`);
for (const r of results) {
  console.log(
    r.unavailable
      ? `${r.target.padEnd(width)}  unavailable: ${r.unavailable}`
      : `${r.target.padEnd(width)}  ${r.msPerImage.toFixed(1).padStart(8)} ms/image  (min ${r.minMs.toFixed(1)}, first image incl. model load ${(r.loadMs / 1000).toFixed(1)} s${r.adapter ? `, adapter ${r.adapter}` : ''})`,
  );
}
console.log(JSON.stringify(results));
