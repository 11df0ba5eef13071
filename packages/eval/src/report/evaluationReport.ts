import type { Domain } from '@aaclip/core';
import type { ClassMetrics } from '../protocol/classMetrics.js';
import { meanMetrics, METRIC_NAMES } from '../protocol/classMetrics.js';
import type { ClassCurves, ScoredImage } from '../protocol/evaluateClass.js';

/** One image shown in a report's gallery. */
export interface GalleryEntry {
  readonly id: string;
  readonly label: number;
  readonly score: number;
  readonly rank: 'highest' | 'lowest';
  /** Where the picture is: a path relative to the report, or a data: URL. */
  readonly href: string;
}

/** What the reports show about one class. */
export interface ClassReport {
  readonly className: string;
  /** The text put into the class's prompts, when known. */
  readonly promptName?: string;
  readonly domain: Domain;
  readonly count: number;
  readonly metrics: ClassMetrics;
  readonly curves: ClassCurves;
  readonly gallery?: readonly GalleryEntry[];
}

export interface EvaluationReport {
  readonly title?: string;
  /** Shown as a key/value list at the top (dataset, model, date…). */
  readonly details?: Readonly<Record<string, string>>;
  readonly classes: readonly ClassReport[];
}

/** The content of metrics.json: per-class metrics and their mean, fractions in [0, 1], null where undefined. */
export interface MetricsJson {
  classes: Record<string, ClassMetrics>;
  mean: ClassMetrics;
}

export function metricsJson(report: EvaluationReport): MetricsJson {
  const classes: Record<string, ClassMetrics> = {};
  for (const c of report.classes) {
    const ordered = {} as ClassMetrics;
    for (const name of METRIC_NAMES) ordered[name] = c.metrics[name];
    classes[c.className] = ordered;
  }
  return { classes, mean: meanMetrics(report.classes.map((c) => c.metrics)) };
}

/** Indices of the `perSide` highest- and lowest-scored images (ties keep dataset order). */
export function galleryPicks(images: readonly ScoredImage[], perSide = 3): { highest: number[]; lowest: number[] } {
  const order = images.map((_, i) => i).sort((a, b) => images[b]!.score - images[a]!.score || a - b);
  const k = Math.min(perSide, Math.floor(order.length / 2) || order.length);
  const highest = order.slice(0, k);
  const lowest = order.slice(-k).reverse().filter((i) => !highest.includes(i));
  return { highest, lowest };
}
