// Fuzzing the JSONL manifest reader (readListFile, then a line at a time): random bytes, a valid
// manifest mutated, and lines whose fields take hostile values (paths leaving the root, absolute,
// with control characters or thousands of characters; wrong types; labels out of range). Each case
// returns a dataset whose samples all lie inside the root, with every problem on one line, or throws
// a one-line AaclipError, within FUZZ_CASE_MS and FUZZ_CASE_HEAP_BYTES.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { boundedReadAsync, expectOneLine } from '../../../../test-support/fuzz/boundedRead.js';
import { mutatedBytes, randomBytes } from '../../../../test-support/fuzz/mutations.js';
import { runFuzz } from '../../../../test-support/fuzz/runFuzz.js';
import { formatDatasetProblem, scanDataset, type DatasetScan } from '../../src/index.js';
import { makeWorkDir } from '../tinyTree.js';

let root: string;
let manifest: string;

const FILES = ['a/good.png', 'a/bad.png', 'a/bad_mask.png', 'b/x.png'];
const line = (o: Record<string, unknown>): string => JSON.stringify(o);
const VALID = new TextEncoder().encode(
  [
    line({ image_path: 'a/good.png', label: 0, class_name: 'a', mask_path: '' }),
    line({ image_path: 'a/bad.png', label: 1, class_name: 'a', mask_path: 'a/bad_mask.png', defect_type: 'crack' }),
    line({ image_path: 'b/x.png', label: 0, class_name: 'b', mask_path: null, split: 'train' }),
  ].join('\n'),
);

beforeAll(async () => {
  root = await makeWorkDir('fuzz-jsonl');
  // The reader only checks that listed files exist; their bytes are never decoded here.
  for (const file of FILES) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), '');
  }
  manifest = path.join(root, 'manifest.jsonl');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function isInside(file: string): boolean {
  const relative = path.relative(root, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

function checkScan({ dataset, problems }: DatasetScan): void {
  for (const s of dataset.samples) {
    if (!isInside(s.imagePath) || (s.maskPath !== null && !isInside(s.maskPath))) {
      throw new Error(`a sample outside the root was accepted: ${JSON.stringify([s.imagePath, s.maskPath])}`);
    }
    if ((s.label !== 0 && s.label !== 1) || s.className === '') throw new Error(`a bad sample was accepted: ${JSON.stringify(s)}`);
    if (!dataset.classes.includes(s.className)) throw new Error(`sample class ${JSON.stringify(s.className)} is not among the classes`);
  }
  // Problems are printed a line each (`aaclip datasets check`); a path or message may not break that line.
  for (const p of problems) expectOneLine(formatDatasetProblem(p), 'a dataset problem', Number.POSITIVE_INFINITY);
}

async function readsSafely(bytes: Uint8Array): Promise<void> {
  await writeFile(manifest, bytes);
  const outcome = await boundedReadAsync(() => scanDataset('jsonl', root, { manifest }));
  if (outcome.ok) checkScan(outcome.value);
}

/** A path as a hostile manifest may give it. */
const listedPath = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...FILES, 'a/missing.png', '') },
  {
    weight: 2,
    arbitrary: fc.constantFrom('../outside.png', '../../etc/passwd', '/etc/passwd', 'a/../../x.png', 'a/./../b/x.png', '.', '..', 'a\nb.png', 'a\u2028b.png', 'a\u202eb.png', 'a\u0000b.png', 'a\\..\\..\\x.png', 'x'.repeat(5000)),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

const field = <T>(usual: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 4, arbitrary: usual }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });

const hostileLine: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record(
        {
          image_path: listedPath,
          label: field(fc.constantFrom(0, 1, 2, -1, 0.5, '1', true, 1e308)),
          class_name: field(fc.oneof(fc.constantFrom('a', 'b', '', 'c\nd', '__proto__', 'constructor'), fc.string({ maxLength: 8 }))),
          mask_path: fc.oneof(listedPath, fc.constant(null)),
          split: field(fc.constantFrom('train', 'test', 'val')),
          defect_type: field(fc.constantFrom('crack', '', 'x\ry')),
        },
        { requiredKeys: [] },
      )
      .map(line),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);

describe('fuzzing the JSONL manifest reader', () => {
  it('reads the unmutated manifest with no problems', async () => {
    await writeFile(manifest, VALID);
    const outcome = await boundedReadAsync(() => scanDataset('jsonl', root, { manifest }));
    if (!outcome.ok) throw outcome.error;
    checkScan(outcome.value);
    if (outcome.value.dataset.samples.length !== 3 || outcome.value.problems.length !== 0) throw new Error('the valid manifest was not read whole');
  });

  it('a path or a JSON error quoting control characters stays on its problem line', async () => {
    // Found by the properties below: formatDatasetProblem printed a listed "a\u0000b.png" (or a
    // newline) and JSON.parse's quote of a NUL raw, so `datasets check` could split a problem's line.
    await writeFile(manifest, `${line({ image_path: 'a\nb.png', label: 0, class_name: 'a', mask_path: '' })}\n\u0000{}`);
    const outcome = await boundedReadAsync(() => scanDataset('jsonl', root, { manifest }));
    if (!outcome.ok) throw outcome.error;
    const shown = outcome.value.problems.map(formatDatasetProblem);
    if (shown.length !== 2 || !shown.some((p) => p.includes('a\\nb.png')) || !shown.some((p) => p.includes('\\x00'))) {
      throw new Error(`unexpected problems: ${JSON.stringify(shown)}`);
    }
    checkScan(outcome.value);
  });

  it('random bytes', async () => {
    await runFuzz(fc.asyncProperty(randomBytes(new Uint8Array(0), 300), readsSafely), 0x15a101, 80);
  });

  it('a valid manifest with bytes flipped, cut, inserted or removed', async () => {
    await runFuzz(fc.asyncProperty(mutatedBytes(VALID), readsSafely), 0x15a102, 120);
  });

  it('lines whose paths leave the root or hold control characters, and fields of wrong types', async () => {
    const manifests = fc
      .tuple(fc.array(hostileLine, { minLength: 1, maxLength: 6 }), fc.constantFrom('\n', '\r\n'))
      .map(([lines, end]) => new TextEncoder().encode(lines.join(end)));
    await runFuzz(fc.asyncProperty(manifests, readsSafely), 0x15a103, 160);
  });
});
