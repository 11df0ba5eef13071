import path from 'node:path';
import { parseArgs } from 'node:util';
import { AaclipError, backboneName, defaultAaclipSettings, readWeightsBytes, type BundleManifest, type BundleSource, type ClipModelConfig } from '@aaclip/core';
import { isBundleDir, nodeSha256, readBundleManifest, readModelConfig, readRegularFile } from '@aaclip/backend-node/node-io';
import type { Command } from './command.js';
import type { HubFileProvenance } from '@aaclip/hub';
import { resolveModelFilesWithProvenance } from '../options/modelProvenance.js';

const USAGE = `Usage: aaclip info --model <dir> [--json]
       aaclip info --model-config <json> --weights <file> [--adapters <file>] --vocab <file> [--json]

Prints a model card: the backbone (from the config's sizes), the image size, whether there are
AA-CLIP adapters and their projection form (plain Linear, or Linear + LeakyReLU as the reference's
--relu trains them, read from the adapters' keys), the precision, and every file with its size and
sha256 computed from the file itself. For a bundle (a folder from \`aaclip export\`) it also shows
the precomputed classes and where the bundle's source files came from, and checks each file
against the manifest: a file that differs is marked and the exit code is 1.

  --model <dir|repo id>     a bundle folder, a model folder as detect takes it, or a preset or hub
                            repo id as \`aaclip pull\` takes it (each file then shows the repo,
                            revision, commit and URL it came from, and is checked against the hub's sha256)
  --model-config, --weights, --adapters, --vocab   the model's files, named one by one
  --json                    print the card as JSON (fields: kind, backbone, imageSize, adapters,
                            precision, files [{role, file, size, sha256, manifestSha256?, hub?, ok?}],
                            sources)

Examples:
  aaclip info --model ./bottle-bundle
  aaclip info --model ./ViT-L-14-336-aaclip --json`;

/** One file of the card: what it is, its size and the sha256 of its bytes (and, in a bundle, the manifest's). */
interface CardFile {
  readonly role: string;
  readonly file: string;
  readonly size: number;
  readonly sha256: string;
  readonly manifestSha256?: string;
  /** Where a file pulled from the hub came from (with the sha256 the hub gave for it). */
  readonly hub?: HubFileProvenance;
  /** Whether the file's bytes still match what the manifest (bundle) or the hub (pulled file) recorded. */
  readonly ok?: boolean;
}

/** A model card, as printed (or as JSON with --json). */
interface ModelCard {
  readonly kind: 'bundle' | 'model';
  readonly path: string;
  readonly backbone: string;
  readonly config: ClipModelConfig;
  /** The image size the graphs are built for (bundle); for a model folder the default a run uses. */
  readonly imageSize: number;
  readonly adapters: { readonly present: boolean; readonly projections: 'linear' | 'leaky-relu' | null };
  readonly tower?: string;
  readonly precision: string;
  readonly classes?: readonly string[];
  readonly producer?: string;
  readonly files: readonly CardFile[];
  readonly sources: readonly BundleSource[];
}

const DEFAULT_IMAGE_SIZE = defaultAaclipSettings().imageSize;

async function hashFile(role: string, file: string): Promise<CardFile> {
  const bytes = await readRegularFile(file, 'data');
  return { role, file, size: bytes.byteLength, sha256: await nodeSha256(bytes) };
}

function roleInBundle(manifest: BundleManifest, file: string): string {
  const { vision, text } = manifest.graphs;
  if (file === vision.file) return 'vision graph';
  if (vision.externalData.includes(file)) return 'vision weights';
  if (file === text.file) return 'text graph';
  if (text.externalData.includes(file)) return 'text weights';
  if (file === manifest.tokenizer.vocabulary) return 'vocabulary';
  if (file === manifest.tokenizer.merges) return 'merges';
  if (file === manifest.anchors.file) return 'anchors';
  return 'file';
}

async function bundleCard(dir: string): Promise<ModelCard> {
  const manifest = await readBundleManifest(dir);
  const files: CardFile[] = [];
  for (const listed of manifest.files) {
    const actual = await hashFile(roleInBundle(manifest, listed.path), path.join(dir, listed.path)).catch((err: unknown) => {
      if (err instanceof AaclipError) return { role: roleInBundle(manifest, listed.path), file: path.join(dir, listed.path), size: -1, sha256: `unreadable (${err.problem})` };
      throw err;
    });
    files.push({ ...actual, manifestSha256: listed.sha256, ok: actual.sha256 === listed.sha256 && actual.size === listed.size });
  }
  return {
    kind: 'bundle',
    path: dir,
    backbone: manifest.model.backbone,
    config: manifest.model.config,
    imageSize: manifest.imageSize,
    adapters: { present: manifest.model.adapters !== null, projections: manifest.model.adapters },
    tower: manifest.model.tower,
    precision: manifest.precision,
    classes: manifest.anchors.classes.map((c) => c.name),
    producer: manifest.producer,
    files,
    sources: manifest.sources,
  };
}

async function modelCard(values: { model?: string; 'model-config'?: string; weights?: string; adapters?: string[]; vocab?: string }): Promise<ModelCard> {
  const { files, hub } = await resolveModelFilesWithProvenance(values);
  const { model: config } = await readModelConfig(files.modelConfig);
  const cardFiles: CardFile[] = [await hashFile('model config', files.modelConfig)];
  // Weights and adapters are read once: hashed, then their tensors' dtypes and keys looked at.
  const tensorsOf = async (role: string, file: string) => {
    const bytes = await readRegularFile(file, 'weights');
    cardFiles.push({ role, file, size: bytes.byteLength, sha256: await nodeSha256(bytes) });
    return readWeightsBytes({ name: file, bytes });
  };
  const weightsDtypes = new Set([...(await tensorsOf('weights', files.weights)).values()].map((t) => t.dtype));
  let projections: 'linear' | 'leaky-relu' | null = null;
  for (const file of files.adapters) {
    const keys = [...(await tensorsOf('adapters', file)).keys()];
    projections = keys.some((k) => /(seg_proj\.\d+|det_proj)\.fc\.0\.weight$/.test(k)) ? 'leaky-relu' : (projections ?? 'linear');
  }
  cardFiles.push(await hashFile('vocabulary', files.vocab));
  return {
    kind: 'model',
    path: values.model ?? path.dirname(files.weights),
    backbone: backboneName(config),
    config,
    imageSize: DEFAULT_IMAGE_SIZE,
    adapters: { present: files.adapters.length > 0, projections },
    precision: `weights ${[...weightsDtypes].sort().join(', ')} (graphs are built in fp32)`,
    files: cardFiles.map((f) => {
      const from = hub.get(f.file);
      return from ? { ...f, hub: from, ok: f.sha256 === from.sha256 } : f;
    }),
    sources: [],
  };
}

function describeAdapters(card: ModelCard): string {
  if (!card.adapters.present) return `none${card.tower ? ` (${card.tower === 'surgery' ? 'zero-shot surgery baseline' : 'plain CLIP'})` : ' (a run without them is a zero-shot baseline)'}`;
  return card.adapters.projections === 'leaky-relu' ? "AA-CLIP adapters, projections Linear + LeakyReLU (the reference's --relu)" : 'AA-CLIP adapters, plain Linear projections';
}

function printCard(card: ModelCard): void {
  const { vision_cfg: v, text_cfg: t, embed_dim } = card.config;
  const lines = [
    `model:      ${card.path} (${card.kind === 'bundle' ? `bundle${card.producer ? `, by ${card.producer}` : ''}` : 'model files'})`,
    `backbone:   ${card.backbone} (vision ${v.layers} blocks × ${v.width}, patch ${v.patch_size}, native ${v.image_size} px; text ${t.layers} blocks × ${t.width}; embed ${embed_dim})`,
    `image size: ${card.imageSize}${card.kind === 'model' ? ' (the default a run uses; --image-size changes it)' : ' (the graphs are built for it)'}`,
    `adapters:   ${describeAdapters(card)}`,
    `precision:  ${card.precision}`,
    ...(card.classes ? [`classes:    ${card.classes.length ? card.classes.join(', ') : 'none precomputed'}`] : []),
    'files:',
    ...card.files.flatMap((f) => [
      `  ${f.role.padEnd(14)} ${f.file}  ${f.size} B  sha256 ${f.sha256}${f.ok === undefined ? '' : f.ok ? '  ok' : `  DIFFERS from the ${f.hub ? `hub's (${f.hub.sha256})` : `manifest (${f.manifestSha256})`}`}`,
      ...(f.hub ? [`  ${''.padEnd(14)} from ${f.hub.repo}@${f.hub.commit} (${f.hub.revision}) ${f.hub.url}`] : []),
    ]),
  ];
  if (card.sources.length) {
    lines.push('sources:');
    for (const s of card.sources) {
      const hub = s.hub ? `  from ${s.hub.repo}@${s.hub.commit} (${s.hub.revision}) ${s.hub.url}` : '';
      lines.push(`  ${s.role.padEnd(14)} ${s.file}  ${s.size} B  sha256 ${s.sha256}${hub}`);
    }
  }
  console.log(lines.join('\n'));
}

export const infoCommand: Command = {
  name: 'info',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        model: { type: 'string' },
        'model-config': { type: 'string' },
        weights: { type: 'string' },
        adapters: { type: 'string', multiple: true },
        vocab: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
    if (positionals.length) throw new AaclipError(`unexpected argument "${positionals[0]}" (usage: aaclip info --help)`);
    const card = values.model !== undefined && (await isBundleDir(values.model)) ? await bundleCard(values.model) : await modelCard(values);
    if (values.json) console.log(JSON.stringify(card, null, 2));
    else printCard(card);
    const bad = card.files.filter((f) => f.ok === false);
    for (const f of bad) console.error(new AaclipError(`differs from ${f.hub ? 'the sha256 the hub gave for it' : 'the bundle manifest'} (changed or damaged)`, f.file).message);
    return bad.length ? 1 : 0;
  },
};
