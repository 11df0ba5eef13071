import type { Curve } from '../metrics/curves.js';
import { escapeHtml } from './escapeHtml.js';

export interface CurveSvgOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** Draw the chance diagonal (ROC plots). */
  readonly diagonal?: boolean;
  readonly width?: number;
  readonly height?: number;
  /** At most this many points per curve are drawn (default 400). */
  readonly maxPoints?: number;
}

export interface LabelledCurve {
  readonly curve: Curve;
  readonly label: string;
  readonly color: string;
}

const fmt = (v: number): string => (Math.round(v * 10) / 10).toString();

/** Keeps every k-th point (and the last) so that at most maxPoints remain. */
function thin(curve: Curve, maxPoints: number): Curve {
  const n = curve.x.length;
  if (n <= maxPoints) return curve;
  const step = Math.ceil(n / (maxPoints - 1));
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i += step) {
    x.push(curve.x[i]!);
    y.push(curve.y[i]!);
  }
  if (x[x.length - 1] !== curve.x[n - 1] || y[y.length - 1] !== curve.y[n - 1]) {
    x.push(curve.x[n - 1]!);
    y.push(curve.y[n - 1]!);
  }
  return { x, y };
}

/** A small standalone SVG line chart of curves on the unit square (axes 0–1). */
export function curveSvg(curves: readonly LabelledCurve[], options: CurveSvgOptions): string {
  const width = options.width ?? 280;
  const height = options.height ?? 250;
  const left = 42;
  const right = 10;
  const top = 24;
  const bottom = 36;
  const pw = width - left - right;
  const ph = height - top - bottom;
  const px = (x: number): string => fmt(left + x * pw);
  const py = (y: number): string => fmt(top + (1 - y) * ph);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(options.title)}">`,
    `<text x="${width / 2}" y="15" text-anchor="middle" font-size="12" font-weight="bold">${escapeHtml(options.title)}</text>`,
    `<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`,
  ];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(
      `<line x1="${px(t)}" y1="${py(0)}" x2="${px(t)}" y2="${fmt(top + ph + 4)}" stroke="#888"/>`,
      `<text x="${px(t)}" y="${fmt(top + ph + 15)}" text-anchor="middle" font-size="9">${t}</text>`,
      `<line x1="${fmt(left - 4)}" y1="${py(t)}" x2="${px(0)}" y2="${py(t)}" stroke="#888"/>`,
      `<text x="${fmt(left - 6)}" y="${fmt(top + (1 - t) * ph + 3)}" text-anchor="end" font-size="9">${t}</text>`,
    );
  }
  parts.push(
    `<text x="${fmt(left + pw / 2)}" y="${height - 4}" text-anchor="middle" font-size="10">${escapeHtml(options.xLabel)}</text>`,
    `<text x="10" y="${fmt(top + ph / 2)}" text-anchor="middle" font-size="10" transform="rotate(-90 10 ${fmt(top + ph / 2)})">${escapeHtml(options.yLabel)}</text>`,
  );
  if (options.diagonal) {
    parts.push(`<line x1="${px(0)}" y1="${py(0)}" x2="${px(1)}" y2="${py(1)}" stroke="#bbb" stroke-dasharray="4 3"/>`);
  }
  curves.forEach(({ curve, label, color }, k) => {
    const c = thin(curve, options.maxPoints ?? 400);
    const points = c.x.map((x, i) => `${px(x)},${py(c.y[i]!)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${escapeHtml(color)}" stroke-width="1.6" points="${points}"/>`);
    parts.push(
      `<text x="${fmt(left + pw - 4)}" y="${fmt(top + ph - 6 - 12 * k)}" text-anchor="end" font-size="10" fill="${escapeHtml(color)}">${escapeHtml(label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}
