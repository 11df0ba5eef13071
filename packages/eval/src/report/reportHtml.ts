import { METRIC_NAMES, METRIC_TITLES } from '../protocol/classMetrics.js';
import { escapeHtml } from './escapeHtml.js';
import type { ClassReport, EvaluationReport, GalleryEntry } from './evaluationReport.js';
import { formatPercent, metricRows } from './metricsTable.js';
import { curveSvg } from './svgCurve.js';
import type { LabelledCurve } from './svgCurve.js';

const PIXEL_COLOR = '#1f77b4';
const IMAGE_COLOR = '#d62728';

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.mean td { font-weight: bold; background: #f4f4f4; }
td.undefined { color: #999; }
section.class { margin: 2em 0; border-top: 1px solid #ddd; }
.curves { display: flex; flex-wrap: wrap; gap: 1em; }
.gallery { display: flex; flex-wrap: wrap; gap: 0.8em; }
figure { margin: 0; width: 200px; }
figure img { width: 200px; height: auto; display: block; image-rendering: auto; }
figcaption { font-size: 0.75em; word-break: break-all; }
.anomalous { color: #b00; }
`;

function table(report: EvaluationReport): string {
  const counts = new Map(report.classes.map((c) => [c.className, c.count]));
  const total = report.classes.reduce((s, c) => s + c.count, 0);
  const head = `<tr><th>Class</th><th>Images</th>${METRIC_NAMES.map((n) => `<th>${METRIC_TITLES[n]}</th>`).join('')}</tr>`;
  const rows = metricRows(report).map(({ name, metrics, isMean }) => {
    const cells = METRIC_NAMES.map((n) => {
      const v = metrics[n];
      return v === null ? '<td class="undefined" title="undefined for this data">—</td>' : `<td>${formatPercent(v)}</td>`;
    }).join('');
    const title = isMean ? 'mean' : `<a href="#class-${encodeURIComponent(name)}">${escapeHtml(name)}</a>`;
    return `<tr${isMean ? ' class="mean"' : ''}><td>${title}</td><td>${isMean ? total : (counts.get(name) ?? 0)}</td>${cells}</tr>`;
  });
  return `<table><thead>${head}</thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function figure(entry: GalleryEntry): string {
  const label = entry.label ? '<span class="anomalous">anomalous</span>' : 'normal';
  return (
    `<figure><img src="${escapeHtml(entry.href)}" alt="${escapeHtml(entry.id)}" loading="lazy">` +
    `<figcaption>${escapeHtml(entry.id)}<br>score ${entry.score.toFixed(4)} · ${label}</figcaption></figure>`
  );
}

function classSection(c: ClassReport): string {
  const roc: LabelledCurve[] = [];
  const pr: LabelledCurve[] = [];
  if (c.curves.pixelRoc) roc.push({ curve: c.curves.pixelRoc, label: 'pixel', color: PIXEL_COLOR });
  if (c.curves.imageRoc) roc.push({ curve: c.curves.imageRoc, label: 'image', color: IMAGE_COLOR });
  if (c.curves.pixelPr) pr.push({ curve: c.curves.pixelPr, label: 'pixel', color: PIXEL_COLOR });
  if (c.curves.imagePr) pr.push({ curve: c.curves.imagePr, label: 'image', color: IMAGE_COLOR });
  const curves =
    roc.length || pr.length
      ? `<div class="curves">${curveSvg(roc, { title: 'ROC', xLabel: 'false positive rate', yLabel: 'true positive rate', diagonal: true })}${curveSvg(pr, { title: 'Precision–recall', xLabel: 'recall', yLabel: 'precision' })}</div>`
      : '<p>No curves: a single label value.</p>';
  const parts = [
    `<section class="class" id="class-${encodeURIComponent(c.className)}">`,
    `<h2>${escapeHtml(c.className)}</h2>`,
    `<p>${c.count} images · ${escapeHtml(c.domain)} protocol${c.promptName ? ` · prompt name “${escapeHtml(c.promptName)}”` : ''}</p>`,
    curves,
  ];
  const highest = (c.gallery ?? []).filter((g) => g.rank === 'highest');
  const lowest = (c.gallery ?? []).filter((g) => g.rank === 'lowest');
  if (highest.length) parts.push('<h3>Highest scores</h3>', `<div class="gallery">${highest.map(figure).join('')}</div>`);
  if (lowest.length) parts.push('<h3>Lowest scores</h3>', `<div class="gallery">${lowest.map(figure).join('')}</div>`);
  parts.push('</section>');
  return parts.join('\n');
}

/**
 * report.html: one self-contained page (inline CSS and SVG) with the metrics table, per class the
 * ROC and precision–recall curves (pixel and image level) and a gallery of the highest- and
 * lowest-scored images with their heatmaps (image sources as given in the gallery entries).
 */
export function reportHtml(report: EvaluationReport): string {
  const title = report.title ?? 'Anomaly detection evaluation';
  const details = Object.entries(report.details ?? {});
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>${escapeHtml(title)}</h1>`,
    details.length ? `<dl>${details.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>` : '',
    '<p>Metrics in percent (AA-CLIP protocol: per-class min–max normalisation; AUPRO up to FPR 0.3). “—”: undefined for the data.</p>',
    table(report),
    ...report.classes.map(classSection),
    '</body></html>',
    '',
  ].join('\n');
}
