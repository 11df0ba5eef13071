import type { ClassMetrics } from '../protocol/classMetrics.js';
import { METRIC_NAMES } from '../protocol/classMetrics.js';
import { metricsJson } from './evaluationReport.js';
import type { EvaluationReport } from './evaluationReport.js';

/** A metric as a percentage with two decimals, or "—" where undefined. */
export function formatPercent(value: number | null): string {
  return value === null ? '—' : (value * 100).toFixed(2);
}

export interface MetricRow {
  readonly name: string;
  readonly metrics: ClassMetrics;
  readonly isMean: boolean;
}

/** Every class in report order, then the mean. */
export function metricRows(report: EvaluationReport): MetricRow[] {
  const json = metricsJson(report);
  return [
    ...report.classes.map((c) => ({ name: c.className, metrics: json.classes[c.className]!, isMean: false })),
    { name: 'mean', metrics: json.mean, isMean: true },
  ];
}

/** metrics.csv: a header, one row per class and a "mean" row; fractions unrounded, empty where undefined. */
export function metricsCsv(report: EvaluationReport): string {
  const quote = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [['class', ...METRIC_NAMES].join(',')];
  for (const { name, metrics: m } of metricRows(report)) {
    lines.push([quote(name), ...METRIC_NAMES.map((k) => (m[k] === null ? '' : String(m[k])))].join(','));
  }
  return lines.join('\n') + '\n';
}
