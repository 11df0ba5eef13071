import path from 'node:path';
import { writeFileAtomic } from '@aaclip/node-io';
import type { EvaluationReport } from './evaluationReport.js';
import { metricsJson } from './evaluationReport.js';
import { metricsCsv } from './metricsTable.js';
import { reportHtml } from './reportHtml.js';
import { reportMarkdown } from './reportMarkdown.js';

/** The report files written into an output folder. */
export const REPORT_FILES = ['metrics.json', 'metrics.csv', 'report.md', 'report.html'] as const;

/** Writes metrics.json, metrics.csv, report.md and report.html into `outDir`, each atomically. */
export async function writeEvaluationReports(outDir: string, report: EvaluationReport): Promise<string[]> {
  const contents: Record<(typeof REPORT_FILES)[number], string> = {
    'metrics.json': JSON.stringify(metricsJson(report), null, 2) + '\n',
    'metrics.csv': metricsCsv(report),
    'report.md': reportMarkdown(report),
    'report.html': reportHtml(report),
  };
  const written: string[] = [];
  for (const name of REPORT_FILES) {
    const file = path.join(outDir, name);
    await writeFileAtomic(file, contents[name]);
    written.push(file);
  }
  return written;
}
