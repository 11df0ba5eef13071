import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '@aaclip/node-io';
import type { ScoredImage } from '../protocol/evaluateClass.js';
import type { ClassReport } from '../report/evaluationReport.js';
import { injectiveFileStem } from './outputNames.js';

const FORMAT = 'aaclip-class-result';
const VERSION = 1;

/** A finished class as saved in `<out>/classes/<class>.json`, so an interrupted run can resume. */
export interface ClassResult extends ClassReport {
  /** What produced it (dataset, model, settings); `--resume` only reuses results of the same run. */
  readonly run: Readonly<Record<string, unknown>>;
  /** Every scored image with its protocol score. */
  readonly images: readonly ScoredImage[];
  /** Images that could not be scored ("<file>: <problem>"); such a class is recomputed on resume. */
  readonly failures: readonly string[];
  /**
   * Odd ground truth met while scoring ("<mask>: <problem>"), as `aaclip datasets check` words it:
   * a mask of another size than its image, a mask marking nothing for an anomalous image.
   * Absent in results saved before warnings existed.
   */
  readonly warnings?: readonly string[];
}

/** The file-system-safe name of a class's files: distinct classes never share one (see injectiveFileStem). */
export function classFileStem(className: string): string {
  return injectiveFileStem(className);
}

export function classResultPath(outDir: string, className: string): string {
  return path.join(outDir, 'classes', `${classFileStem(className)}.json`);
}

export async function writeClassResult(outDir: string, result: ClassResult): Promise<string> {
  const file = classResultPath(outDir, result.className);
  await writeFileAtomic(file, JSON.stringify({ format: FORMAT, version: VERSION, ...result }) + '\n');
  return file;
}

/** The saved result of a class, or null when there is none (or it is unreadable / of another format). */
export async function readClassResult(outDir: string, className: string): Promise<ClassResult | null> {
  let text: string;
  try {
    text = await readFile(classResultPath(outDir, className), 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = JSON.parse(text) as ClassResult & { format?: unknown; version?: unknown };
    if (parsed.format !== FORMAT || parsed.version !== VERSION || parsed.className !== className) return null;
    if (typeof parsed.metrics !== 'object' || !Array.isArray(parsed.images) || !Array.isArray(parsed.failures)) return null;
    if (parsed.warnings !== undefined && !Array.isArray(parsed.warnings)) return null;
    const { format: _format, version: _version, ...result } = parsed;
    return result;
  } catch {
    return null;
  }
}
