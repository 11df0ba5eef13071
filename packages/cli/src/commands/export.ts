import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AaclipError, buildBundle, detectorModelFromBytes, type BundleSource, type NamedBytes } from '@aaclip/core';
import { checkBundleTarget, isBundleDir, nodeSha256, readRegularFile, writeBundleDir, type InputFileKind } from '@aaclip/backend-node';
import type { HubFileProvenance } from '@aaclip/hub';
import type { Command } from './command.js';
import { MODEL_OPTION_SPECS, resolveModelOptions } from '../options/modelOptions.js';
import { resolveModelFilesWithProvenance } from '../options/modelProvenance.js';
import { createProgress } from '../output/progress.js';
import { formatBytes } from '../output/formatBytes.js';
import '../options/registerBackends.js';

const USAGE = `Usage: aaclip export --out <dir> [model options] [--image-size <n>] [--precision fp32|fp16|int8] [--class-names <a,b,…>] [--force]

Exports the model as a self-contained bundle folder that \`--model <dir>\` (detect, eval), the demo
page and any ONNX Runtime user can run without the weights or aaclip's graph builder:
  <dir>/aaclip-bundle.json        the manifest: backbone and config, image size, settings, precision,
                                  preprocessing, prompts, each graph's inputs and outputs (names,
                                  dtypes, shapes, meaning), the anchors' classes, size and sha256 of
                                  every file, and where the source files came from (docs/bundle-format.md)
  <dir>/vision.onnx + aaclip-vision.onnx.data   the image graph and its weights (external data)
  <dir>/text.onnx + aaclip-text.onnx.data       the text graph, so class names not exported still work
  <dir>/bpe_simple_vocab_16e6.txt.gz            the tokenizer (or vocab.json + merges.txt)
  <dir>/anchors.safetensors       the anchors of --class-names, computed now (F32 [embed, 2] each)
The bundle is written into a hidden folder beside <dir> and renamed into place at the end, so an
interrupted export leaves nothing behind. An existing <dir> must be empty, or give --force to replace it.

  --out <dir>               the bundle folder to write
  --class-names <a,b,…>     class (prompt) names whose anchors are precomputed, comma-separated
                            (e.g. "dark bottle,screw"); other names run the text graph when used
  --precision <p>           numeric precision of the graphs: fp32 (default), fp16 (for GPUs; LayerNorm,
                            softmax and the output normalisation stay fp32) or int8 (the image graph's
                            weights quantised per channel, onnxruntime's DynamicQuantizeMatMul; the
                            text graph stays fp32). Inputs and outputs are float32 whatever the precision.
                            No other fusion is applied: the graphs run on any onnxruntime device.
  --force                   replace a non-empty <dir>
Model (as for detect):
  --model <dir|repo id>     a model folder (open_clip_config.json, open_clip_model.safetensors,
                            optional aaclip_adapters.safetensors, vocabulary), or a preset or hub
                            repo id as \`aaclip pull\` takes it (the manifest records each file's repo,
                            revision, commit and URL)
  --model-config, --weights, --adapters, --vocab, --zero-shot   name the files or the baseline
  --image-size <n>          the input size the graphs are built for (default 518)
  --domain <d>              industrial | medical: the default scoring domain recorded in the bundle
  --backend, --device, --threads  where the text graph runs to compute the anchors

Examples:
  aaclip export --model ./ViT-L-14-336-aaclip --image-size 518 --class-names "bottle,screw" --out ./bottle-bundle
  aaclip detect --model ./bottle-bundle --class-name bottle --out results img1.png`;

const cliVersion = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** A source file's bytes and its provenance entry (name without folders, size, sha256, and the hub's record when it came from there). */
async function readSource(file: string, kind: InputFileKind, role: string, hub: ReadonlyMap<string, HubFileProvenance>): Promise<{ named: NamedBytes; source: BundleSource }> {
  const bytes = await readRegularFile(file, kind);
  const from = hub.get(file);
  const source: BundleSource = {
    role,
    file: path.basename(file),
    size: bytes.byteLength,
    sha256: await nodeSha256(bytes),
    ...(from ? { hub: { repo: from.repo, revision: from.revision, commit: from.commit, file: from.file, url: from.url } } : {}),
  };
  return { named: { name: file, bytes }, source };
}

function classNamesOption(value: string | undefined): string[] {
  if (value === undefined) return [];
  const names = value.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw new AaclipError(`has an empty class name in "${value}"`, '--class-names');
  return names;
}

export const exportCommand: Command = {
  name: 'export',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { ...MODEL_OPTION_SPECS, out: { type: 'string' }, 'class-names': { type: 'string' }, force: { type: 'boolean' } },
    });
    if (positionals.length) throw new AaclipError(`unexpected argument "${positionals[0]}" (usage: aaclip export --help)`);
    if (!values.out) throw new AaclipError('is required', '--out');
    const out = values.out;
    const force = values.force ?? false;
    const classNames = classNamesOption(values['class-names']);
    await checkBundleTarget(out, force);
    if (values.model !== undefined && (await isBundleDir(values.model))) throw new AaclipError(`${values.model} is already a bundle; export from the model's files`, '--model');
    // The files (a hub model's with where each came from), then the run options for exactly those files.
    const { files, hub } = await resolveModelFilesWithProvenance(values);
    const named = { 'model-config': files.modelConfig, weights: files.weights, vocab: files.vocab, ...(files.adapters.length ? { adapters: [...files.adapters] } : {}) };
    const choice = await resolveModelOptions({ ...values, model: undefined, adapters: undefined, ...named });

    const progress = createProgress(process.stderr);
    try {
      progress.status('reading model files');
      const config = await readSource(files.modelConfig, 'model config', 'model config', hub);
      const weights = await readSource(files.weights, 'weights', 'weights', hub);
      const adapters = [];
      for (const file of files.adapters) adapters.push(await readSource(file, 'weights', 'adapters', hub));
      const vocabulary = await readSource(files.vocab, 'vocabulary', 'vocabulary', hub);
      const merges = path.basename(files.vocab).endsWith('.json')
        ? await readSource(path.join(path.dirname(files.vocab), 'merges.txt'), 'vocabulary', 'merges', hub)
        : undefined;
      const model = await detectorModelFromBytes({
        config: config.named,
        weights: weights.named,
        vocabulary: vocabulary.named,
        ...(merges ? { merges: merges.named } : {}),
        adapters: adapters.map((a) => a.named),
      });
      const contents = await buildBundle(model, {
        settings: choice.settings,
        ...(choice.zeroShot ? { zeroShot: choice.zeroShot } : {}),
        precision: choice.precision ?? 'fp32',
        classNames,
        vocabulary: vocabulary.named,
        ...(merges ? { merges: merges.named } : {}),
        sources: [config, weights, ...adapters, vocabulary, ...(merges ? [merges] : [])].map((s) => s.source),
        backend: choice.backend,
        device: choice.device,
        ...(choice.threads === undefined ? {} : { threads: choice.threads }),
        producer: `aaclip ${cliVersion}`,
        sha256: nodeSha256,
        onProgress: (stage) => progress.status(`export: ${stage}`),
      });
      await writeBundleDir(out, contents, { force, onFile: (file, i, count) => progress.update(i, count, `writing ${file}`) });
      progress.done();
      const total = contents.files.reduce((sum, f) => sum + f.data.byteLength, 0);
      const { manifest } = contents;
      console.log(`${out}: ${manifest.model.backbone} (${manifest.model.tower}) at ${manifest.imageSize}×${manifest.imageSize}, ${manifest.precision}, ${contents.files.length + 1} files, ${formatBytes(total)}`);
      console.log(`anchors: ${manifest.anchors.classes.length ? manifest.anchors.classes.map((c) => c.name).join(', ') : 'none precomputed'}`);
      return 0;
    } finally {
      progress.done();
    }
  },
};
