import path from 'node:path';
import { z } from 'zod';
import { datasetProblem, type DatasetProblem } from '../check/datasetProblem.js';
import { ALL_DATASET_FACTS } from '../facts/allFacts.js';
import { lookUpPromptName } from '../facts/datasetFacts.js';
import type { DatasetFactory, DatasetReading } from '../registry/datasetFactory.js';
import { NORMAL_DEFECT_TYPE, type DatasetSample } from '../sample/datasetSample.js';
import { classesOption, domainOption, promptNamesOption } from './commonOptions.js';
import { reportMissingFiles } from './fileChecks.js';
import { readListFile } from './listFile.js';
import { allowOutsideRootOption, resolveListedPath } from './rootPaths.js';

const factsNames = ALL_DATASET_FACTS.map((f) => f.name) as [string, ...string[]];

const jsonlOptions = z.strictObject({
  /** The .jsonl file (a path as the user typed it: relative to the current folder, or absolute). */
  manifest: z.string().min(1),
  /** Split of lines that have no "split" field. */
  split: z.enum(['train', 'test']).default('test'),
  /** Whether an anomalous line with an empty mask_path is a problem (off for image-level data). */
  requireMasks: z.boolean().default(true),
  /** Take domain and prompt names from one of the reference's datasets ("MVTec", "Brain", …). */
  facts: z.enum(factsNames).optional(),
  domain: domainOption.optional(),
  classes: classesOption,
  promptNames: promptNamesOption,
  /** Accept image and mask paths outside the root ("../x.png", absolute); refused by default. */
  allowOutsideRoot: allowOutsideRootOption,
});

/** The reference's JSONL record; `split` and `defect_type` are this package's optional additions. */
const manifestLine = z.object({
  image_path: z.string().min(1),
  label: z.union([z.literal(0), z.literal(1)]),
  class_name: z.string().min(1),
  mask_path: z.string().nullable(),
  split: z.enum(['train', 'test']).optional(),
  defect_type: z.string().min(1).optional(),
});

/**
 * The reference's manifests: one JSON object a line,
 * {"image_path", "label" (0|1), "class_name", "mask_path" ("" or null when none)},
 * paths relative to the dataset root. A path outside the root is a problem unless the option
 * `allowOutsideRoot` is set.
 */
export const jsonlManifestFormat: DatasetFactory<typeof jsonlOptions> = {
  summary: 'JSONL manifest ({"image_path","label","class_name","mask_path"} a line, paths relative to the root); option manifest=<file>',
  optionsSchema: jsonlOptions,
  read: readJsonlManifest,
};

async function readJsonlManifest(root: string, options: z.output<typeof jsonlOptions>): Promise<DatasetReading> {
  const problems: DatasetProblem[] = [];
  const samples: DatasetSample[] = [];
  const manifestFile = path.resolve(options.manifest);
  const facts = ALL_DATASET_FACTS.find((f) => f.name === options.facts);
  const seen: string[] = [];
  const sourceLine = new Map<DatasetSample, string>();

  let text = '';
  const read = await readListFile(manifestFile);
  if ('text' in read) text = read.text;
  else problems.push(datasetProblem('missing-file', manifestFile, read.missing ? 'manifest not found' : `cannot read the manifest (${read.reason})`));
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    if (raw.trim() === '') continue;
    const where = `${manifestFile}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      problems.push(datasetProblem('bad-manifest-line', where, `not valid JSON (${(err as Error).message})`));
      continue;
    }
    const parsed = manifestLine.safeParse(value);
    if (!parsed.success) {
      problems.push(datasetProblem('bad-manifest-line', where, describeLineIssue(parsed.error.issues[0]!, value)));
      continue;
    }
    const line = parsed.data;
    if (options.classes && !options.classes.includes(line.class_name)) continue;
    const imagePath = resolveListedPath(root, line.image_path, 'image_path', where, options.allowOutsideRoot, problems);
    const maskPath = line.mask_path ? resolveListedPath(root, line.mask_path, 'mask_path', where, options.allowOutsideRoot, problems) : null;
    if (imagePath === null || (line.mask_path && maskPath === null)) continue;
    if (!seen.includes(line.class_name)) seen.push(line.class_name);
    if (line.label === 1 && !maskPath && options.requireMasks) {
      problems.push(datasetProblem('missing-mask', imagePath, `anomalous image without a mask (${where}: empty mask_path)`));
    }
    const sample: DatasetSample = {
      imagePath,
      maskPath,
      label: line.label,
      className: line.class_name,
      split: line.split ?? options.split,
      defectType: line.defect_type ?? (line.label === 1 ? 'anomaly' : NORMAL_DEFECT_TYPE),
    };
    samples.push(sample);
    sourceLine.set(sample, where);
  }
  for (const className of options.classes ?? []) {
    if (!seen.includes(className)) problems.push(datasetProblem('empty-class', manifestFile, `class "${className}" has no lines`));
  }
  if (samples.length === 0 && !options.classes && problems.length === 0) {
    problems.push(datasetProblem('empty-class', manifestFile, 'the manifest has no samples'));
  }
  await reportMissingFiles(samples, problems, (s) => sourceLine.get(s) ?? manifestFile);

  const known = facts?.classes ?? [];
  const classes = options.classes
    ? options.classes.filter((c) => seen.includes(c))
    : [...known.filter((c) => seen.includes(c)), ...seen.filter((c) => !known.includes(c))];
  samples.sort((a, b) => classes.indexOf(a.className) - classes.indexOf(b.className));
  return {
    domain: options.domain ?? facts?.domain ?? 'industrial',
    classes,
    samples,
    problems,
    promptName: (className) => lookUpPromptName(className, facts, options.promptNames),
  };
}

/** One line of text for the first thing wrong with a manifest record. */
function describeLineIssue(issue: z.core.$ZodIssue, value: unknown): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const field = String(issue.path[0] ?? '');
  if (field && !(field in value)) return `lacks the field "${field}"`;
  const expected: Record<string, string> = {
    image_path: 'a non-empty string',
    label: '0 or 1',
    class_name: 'a non-empty string',
    mask_path: 'a string ("" when there is no mask) or null',
    split: '"train" or "test"',
    defect_type: 'a non-empty string',
  };
  return `field "${field}" must be ${expected[field] ?? issue.message}`;
}
