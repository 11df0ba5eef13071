import path from 'node:path';
import { z } from 'zod';
import { datasetProblem, type DatasetProblem } from '../check/datasetProblem.js';
import { lookUpPromptName } from '../facts/datasetFacts.js';
import { VISA_FACTS } from '../facts/visaFacts.js';
import type { DatasetFactory, DatasetReading } from '../registry/datasetFactory.js';
import { NORMAL_DEFECT_TYPE, type DatasetSample } from '../sample/datasetSample.js';
import { classesOption, promptNamesOption } from './commonOptions.js';
import { parseCsv } from './csvRows.js';
import { reportMissingFiles } from './fileChecks.js';
import { readListFile } from './listFile.js';
import { allowOutsideRootOption, resolveListedPath } from './rootPaths.js';

const COLUMNS = ['object', 'split', 'label', 'image', 'mask'] as const;
const LABELS: Readonly<Record<string, 0 | 1>> = { normal: 0, anomaly: 1 };

const visaOptions = z.strictObject({
  /** The split file, relative to the root (or absolute). */
  csv: z.string().min(1).default('split_csv/1cls.csv'),
  classes: classesOption,
  promptNames: promptNamesOption,
  /** Accept image and mask paths outside the root ("../x.png", absolute); refused by default. */
  allowOutsideRoot: allowOutsideRootOption,
});

/**
 * VisA as prepared by its split script: `split_csv/1cls.csv` with columns
 * object,split,label,image,mask (label "normal" or "anomaly"; paths relative to the root; mask
 * empty for normal images). The CSV has no defect types, so anomalous samples are "anomaly".
 */
export const visaFormat: DatasetFactory<typeof visaOptions> = {
  summary: 'VisA layout: split_csv/1cls.csv (object,split,label,image,mask) with paths relative to the root',
  optionsSchema: visaOptions,
  read: readVisa,
};

async function readVisa(root: string, options: z.output<typeof visaOptions>): Promise<DatasetReading> {
  const problems: DatasetProblem[] = [];
  const samples: DatasetSample[] = [];
  const csvFile = path.resolve(root, options.csv);
  const sourceLine = new Map<DatasetSample, string>();
  const seenClasses: string[] = [];
  const result = (): DatasetReading => ({
    domain: VISA_FACTS.domain,
    classes: orderClasses(seenClasses, options.classes),
    samples,
    problems,
    promptName: (className) => lookUpPromptName(className, VISA_FACTS, options.promptNames),
  });

  const read = await readListFile(csvFile);
  if (!('text' in read)) {
    problems.push(datasetProblem('missing-file', csvFile, read.missing ? 'split file not found' : `cannot read the split file (${read.reason})`));
    return result();
  }
  const text = read.text;
  const { rows, unterminatedQuoteLine } = parseCsv(text.replace(/^\uFEFF/, ''));
  if (unterminatedQuoteLine !== null) {
    problems.push(datasetProblem('bad-csv-row', `${csvFile}:${unterminatedQuoteLine}`, 'quoted field never closed'));
  }
  const [header, ...body] = rows;
  const names = header?.fields.map((f) => f.trim().toLowerCase()) ?? [];
  const index = Object.fromEntries(COLUMNS.map((c) => [c, names.indexOf(c)])) as Record<(typeof COLUMNS)[number], number>;
  const absent = COLUMNS.filter((c) => index[c] < 0);
  if (!header || absent.length > 0) {
    problems.push(datasetProblem('bad-csv-row', `${csvFile}:${header?.line ?? 1}`, `header lacks column${absent.length === 1 ? '' : 's'} ${absent.join(', ')} (expected ${COLUMNS.join(',')})`));
    return result();
  }

  for (const row of body) {
    const where = `${csvFile}:${row.line}`;
    if (row.fields.length !== names.length) {
      problems.push(datasetProblem('bad-csv-row', where, `${row.fields.length} fields, the header has ${names.length}`));
      continue;
    }
    const get = (c: (typeof COLUMNS)[number]): string => row.fields[index[c]]!.trim();
    const className = get('object');
    if (options.classes && !options.classes.includes(className)) continue;
    const split = get('split');
    const label = LABELS[get('label').toLowerCase()];
    const image = get('image');
    const mask = get('mask');
    if (!className) problems.push(datasetProblem('bad-csv-row', where, 'empty object (class) field'));
    else if (split !== 'train' && split !== 'test') problems.push(datasetProblem('bad-csv-row', where, `split "${split}" is neither train nor test`));
    else if (label === undefined) problems.push(datasetProblem('bad-csv-row', where, `label "${get('label')}" is neither normal nor anomaly`));
    else if (!image) problems.push(datasetProblem('bad-csv-row', where, 'empty image field'));
    else {
      const imagePath = resolveListedPath(root, image, 'image', where, options.allowOutsideRoot, problems);
      const maskPath = mask ? resolveListedPath(root, mask, 'mask', where, options.allowOutsideRoot, problems) : null;
      if (imagePath === null || (mask && maskPath === null)) continue;
      if (!seenClasses.includes(className)) seenClasses.push(className);
      if (label === 1 && !mask) {
        problems.push(datasetProblem('missing-mask', imagePath, `anomalous image without a mask (${where})`));
      }
      const sample: DatasetSample = {
        imagePath,
        maskPath,
        label,
        className,
        split,
        defectType: label === 1 ? 'anomaly' : NORMAL_DEFECT_TYPE,
      };
      samples.push(sample);
      sourceLine.set(sample, where);
    }
  }
  for (const className of options.classes ?? []) {
    if (!seenClasses.includes(className)) problems.push(datasetProblem('empty-class', csvFile, `class "${className}" has no rows`));
  }
  await reportMissingFiles(samples, problems, (s) => sourceLine.get(s) ?? csvFile);
  const order = orderClasses(seenClasses, options.classes);
  samples.sort((a, b) => order.indexOf(a.className) - order.indexOf(b.className));
  return result();
}

/** The classes asked for, else the known ones in the reference's order, then any others as met. */
function orderClasses(seen: readonly string[], asked: readonly string[] | undefined): string[] {
  if (asked) return asked.filter((c) => seen.includes(c));
  return [...VISA_FACTS.classes.filter((c) => seen.includes(c)), ...seen.filter((c) => !VISA_FACTS.classes.includes(c))];
}
