import { METRIC_NAMES, METRIC_TITLES } from '../protocol/classMetrics.js';
import type { EvaluationReport } from './evaluationReport.js';
import { formatPercent, metricRows } from './metricsTable.js';

const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** report.md: the details and the metrics table in percent. */
export function reportMarkdown(report: EvaluationReport): string {
  const lines = [`# ${report.title ?? 'Anomaly detection evaluation'}`, ''];
  for (const [k, v] of Object.entries(report.details ?? {})) lines.push(`- **${cell(k)}**: ${cell(v)}`);
  if (report.details && Object.keys(report.details).length) lines.push('');
  lines.push(
    'Metrics in percent (AA-CLIP protocol: per-class min–max normalisation; AUPRO up to FPR 0.3). "—": undefined for the data (e.g. a class with a single label value).',
    '',
    `| Class | Images | ${METRIC_NAMES.map((n) => METRIC_TITLES[n]).join(' | ')} |`,
    `| --- | ---: | ${METRIC_NAMES.map(() => '---:').join(' | ')} |`,
  );
  const counts = new Map(report.classes.map((c) => [c.className, c.count]));
  const total = report.classes.reduce((s, c) => s + c.count, 0);
  for (const { name, metrics: m, isMean } of metricRows(report)) {
    const title = isMean ? '**mean**' : cell(name);
    const count = isMean ? total : (counts.get(name) ?? 0);
    lines.push(`| ${title} | ${count} | ${METRIC_NAMES.map((n) => formatPercent(m[n])).join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}
