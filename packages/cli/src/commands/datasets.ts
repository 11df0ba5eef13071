import path from 'node:path';
import { parseArgs } from 'node:util';
import { AaclipError } from '@aaclip/core';
import {
  allowPathsOutsideRoot,
  checkDataset,
  formatCheckReport,
  listDatasets,
  loadDataset,
  loadDatasetPlugins,
  synthesizeDataset,
  writeManifest,
} from '@aaclip/datasets';
import type { Command } from './command.js';
import { DATASET_OPTION_SPECS, DATASET_OPTIONS_HELP, datasetOptions } from '../options/datasetOptions.js';

const USAGE = `Usage:
  aaclip datasets list
  aaclip datasets check <kind> <root> [--option key=value …] [--decode] [--allow-outside-root]
  aaclip datasets manifest <kind> <root> --out <file.jsonl> [--shots k] [--seed s] [--split train|test|all] [--option key=value …] [--allow-outside-root]
  aaclip datasets synth --out <dir> [--classes n] [--images m] [--seed s] [--size px]

list      the dataset kinds (built in and from --plugin), their other names and layouts.
check     reads a dataset and prints its images per class and split (normal, anomalous, with a
          mask), then every problem, one line each naming the file: anomalous images without a
          mask, masks without an image, masks whose size differs from their image's, files that
          are not readable images, special files (named pipes, devices: never read), empty
          classes, bad CSV rows and manifest lines, and list-file paths outside <root>. Image
          files are checked by their headers; --decode decodes every pixel (slower; finds
          truncation and masks of anomalous images that are all zero). Exits with 1 when it
          finds a problem.
manifest  writes a JSONL manifest in the reference's format, one line per image:
          {"image_path","label","class_name","mask_path","split","defect_type"}, paths relative
          to <root>. --shots k keeps k normal and k anomalous images per class, drawn with --seed
          (default 0); --split limits it to one split (default all). The dataset must have no
          problem that check finds (image headers included).
synth     generates a dataset in MVTec AD's layout under <dir> (which must not exist): procedural
          textures and objects with scratches, holes, stains and missing parts, with exact masks
          (the pixels the defect changed). --classes n (default 2), --images m per folder:
          train/good, test/good and each test/<defect> (default 3), --size px (default 256),
          --seed s (default 0); the same options give the same bytes.

Options:
  --allow-outside-root      let a list file (jsonl manifest, VisA split CSV) name images outside <root>
                            (refused by default, so a list file cannot make aaclip read any file)
${DATASET_OPTIONS_HELP}

Examples:
  aaclip datasets synth --out ./synthetic --classes 2 --images 3 --seed 7
  aaclip datasets check mvtec ./synthetic
  aaclip datasets manifest mvtec ./synthetic --shots 2 --seed 1 --out ./synthetic/train.jsonl
  aaclip datasets check jsonl ./synthetic --option manifest=./synthetic/train.jsonl`;

const SHARED_OPTIONS = { ...DATASET_OPTION_SPECS, 'allow-outside-root': { type: 'boolean' } } as const;

/** The --option pairs as options, with allowOutsideRoot set when --allow-outside-root is given. */
function optionsFromFlags(kind: string, values: { option?: string[] | undefined; 'allow-outside-root'?: boolean | undefined }): Record<string, unknown> {
  const options = datasetOptions(values.option);
  return values['allow-outside-root'] ? allowPathsOutsideRoot(kind, options, '--allow-outside-root') : options;
}

/** A whole number ≥ `min` from a flag's text. */
function wholeNumber(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) throw new AaclipError(`expected a whole number ≥ ${min}, got "${value}"`, flag);
  return Number(value);
}

function kindAndRoot(positionals: readonly string[], sub: string): [string, string] {
  const [kind, root, extra] = positionals;
  if (!kind || !root) throw new AaclipError(`needs <kind> <root> (usage: aaclip datasets --help)`, `datasets ${sub}`);
  if (extra !== undefined) throw new AaclipError(`unexpected argument "${extra}"`, `datasets ${sub}`);
  return [kind, root];
}

async function list(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { plugin: SHARED_OPTIONS.plugin } });
  if (positionals.length > 0) throw new AaclipError(`unexpected argument "${positionals[0]}"`, 'datasets list');
  await loadDatasetPlugins(values.plugin ?? []);
  const entries = listDatasets();
  const width = Math.max(...entries.map((e) => e.name.length));
  for (const e of entries) {
    const aliases = e.aliases.length > 0 ? ` (also ${e.aliases.join(', ')})` : '';
    console.log(`${e.name.padEnd(width)}  ${e.factory.summary}${aliases}`);
  }
  return 0;
}

async function check(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { ...SHARED_OPTIONS, decode: { type: 'boolean' } },
  });
  const [kind, root] = kindAndRoot(positionals, 'check');
  await loadDatasetPlugins(values.plugin ?? []);
  const report = await checkDataset(kind, root, optionsFromFlags(kind, values), { decode: values.decode ?? false });
  console.log(formatCheckReport(report));
  return report.problems.length === 0 ? 0 : 1;
}

async function manifest(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      ...SHARED_OPTIONS,
      out: { type: 'string' },
      shots: { type: 'string' },
      seed: { type: 'string' },
      split: { type: 'string' },
    },
  });
  const [kind, root] = kindAndRoot(positionals, 'manifest');
  if (!values.out) throw new AaclipError('is required', '--out');
  const split = values.split ?? 'all';
  if (split !== 'train' && split !== 'test' && split !== 'all') throw new AaclipError(`expected train, test or all, got "${split}"`, '--split');
  const shots = wholeNumber(values.shots, '--shots', 1);
  const seed = wholeNumber(values.seed, '--seed', 0);
  if (seed !== undefined && seed > 0xffffffff) throw new AaclipError('must be below 2^32', '--seed');
  if (seed !== undefined && shots === undefined) throw new AaclipError('only applies with --shots', '--seed');
  await loadDatasetPlugins(values.plugin ?? []);
  // Headers too: a training manifest should not list a file that is not an image.
  const dataset = await loadDataset(kind, root, optionsFromFlags(kind, values), { images: 'headers' });
  const samples = await writeManifest(values.out, dataset, { split, shots, seed });
  const draw = shots === undefined ? '' : ` (${shots} normal + ${shots} anomalous per class, seed ${seed ?? 0})`;
  console.log(`wrote ${samples.length} lines to ${path.resolve(values.out)}${draw}`);
  return 0;
}

async function synth(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      out: { type: 'string' },
      classes: { type: 'string' },
      images: { type: 'string' },
      seed: { type: 'string' },
      size: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new AaclipError(`unexpected argument "${positionals[0]}"`, 'datasets synth');
  if (!values.out) throw new AaclipError('is required', '--out');
  const summary = await synthesizeDataset(values.out, {
    classes: wholeNumber(values.classes, '--classes', 1),
    images: wholeNumber(values.images, '--images', 1),
    seed: wholeNumber(values.seed, '--seed', 0),
    size: wholeNumber(values.size, '--size', 1),
  });
  console.log(`wrote ${summary.files} files to ${path.resolve(values.out)} (MVTec layout)`);
  for (const c of summary.classes) console.log(`  ${c.name}: good, ${c.defects.join(', ')}`);
  return 0;
}

const SUBCOMMANDS: Readonly<Record<string, (argv: string[]) => Promise<number>>> = { list, check, manifest, synth };

export const datasetsCommand: Command = {
  name: 'datasets',
  usage: USAGE,
  async run(argv) {
    const [sub, ...rest] = argv;
    const handler = sub === undefined ? undefined : SUBCOMMANDS[sub];
    if (!handler) {
      const known = Object.keys(SUBCOMMANDS).join(', ');
      throw new AaclipError(sub === undefined ? `needs a sub-command (${known})` : `unknown sub-command "${sub}" (${known})`, 'datasets');
    }
    return handler(rest);
  },
};
