import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import {
  colormapColor,
  encodeRgbPng,
  evaluateClass,
  galleryPicks,
  metricsCsv,
  metricsJson,
  METRIC_NAMES,
  pngDataUrl,
  renderHeatmapOverlay,
  reportHtml,
  reportMarkdown,
  writeEvaluationReports,
} from '@aaclip/eval';
import type { ClassPredictions, ClassReport, EvaluationReport } from '@aaclip/eval';
import { seededRandom } from './bruteForceMetrics.js';

function syntheticClass(name: string, seed: number, anomalous: (i: number) => boolean): ClassPredictions {
  const random = seededRandom(seed);
  const count = 8;
  const size = 16;
  const plane = size * size;
  const maps = new Float32Array(count * plane);
  const masks = new Uint8Array(count * plane);
  const labels = Uint8Array.from({ length: count }, (_, i) => (anomalous(i) ? 1 : 0));
  for (let i = 0; i < count; i++) {
    if (labels[i]) for (let p = 0; p < 20; p++) masks[i * plane + 40 + p] = 1;
    for (let p = 0; p < plane; p++) maps[i * plane + p] = random() + 0.5 * masks[i * plane + p]!;
  }
  const imageScores = Float32Array.from(labels, (l) => 0.3 + 0.2 * random() + 0.1 * l);
  return { className: name, domain: 'industrial', count, height: size, width: size, maps, masks, labels, imageScores };
}

function sampleReport(): EvaluationReport {
  const classes: ClassReport[] = [
    { ...evaluateClass(syntheticClass('bottle', 1, (i) => i % 2 === 0)), gallery: [] },
    { ...evaluateClass(syntheticClass('all<bad>', 2, () => true)), gallery: [] },
  ];
  const first = evaluateClass(syntheticClass('bottle', 1, (i) => i % 2 === 0));
  const picks = galleryPicks(first.images, 2);
  classes[0] = {
    ...classes[0]!,
    gallery: [
      ...picks.highest.map((i) => ({ ...first.images[i]!, rank: 'highest' as const, href: `gallery/bottle/high-${i}.png` })),
      ...picks.lowest.map((i) => ({ ...first.images[i]!, rank: 'lowest' as const, href: `gallery/bottle/low-${i}.png` })),
    ],
  };
  return { title: 'Test run', details: { dataset: 'mvtec' }, classes };
}

const tempDirs: string[] = [];
afterAll(() => tempDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('report files', () => {
  it('metrics.json has exactly {classes: {<class>: 7 metrics}, mean: 7 metrics}, null where undefined', () => {
    const report = sampleReport();
    const json = JSON.parse(JSON.stringify(metricsJson(report))) as ReturnType<typeof metricsJson>;
    expect(Object.keys(json)).toEqual(['classes', 'mean']);
    expect(Object.keys(json.classes)).toEqual(['bottle', 'all<bad>']);
    for (const m of [...Object.values(json.classes), json.mean]) {
      expect(Object.keys(m)).toEqual([...METRIC_NAMES]);
      for (const v of Object.values(m)) if (v !== null) expect(v >= 0 && v <= 1).toBe(true);
    }
    expect(json.classes['all<bad>']!.image_auroc).toBeNull();
    expect(json.mean.image_auroc).toBe(json.classes.bottle!.image_auroc);
    expect(json.mean.pixel_auroc).toBeCloseTo((json.classes.bottle!.pixel_auroc! + json.classes['all<bad>']!.pixel_auroc!) / 2, 15);
  });

  it('metrics.csv round-trips the numbers, empty cells for undefined', () => {
    const report = sampleReport();
    const lines = metricsCsv(report).trimEnd().split('\n');
    expect(lines[0]).toBe(['class', ...METRIC_NAMES].join(','));
    expect(lines.map((l) => l.split(',')[0])).toEqual(['class', 'bottle', 'all<bad>', 'mean']);
    const bottle = lines[1]!.split(',').slice(1).map(Number);
    expect(bottle).toEqual(METRIC_NAMES.map((n) => report.classes[0]!.metrics[n]));
    expect(lines[2]!.split(',')[5]).toBe('');
  });

  it('report.md and report.html show the table, curves and gallery, escaping names', () => {
    const report = sampleReport();
    const md = reportMarkdown(report);
    expect(md).toContain('| Class | Images | Pixel AUROC |');
    expect(md).toMatch(/\| \*\*mean\*\* \| 16 \|/);
    expect(md).toContain(`| bottle | 8 | ${(report.classes[0]!.metrics.pixel_auroc! * 100).toFixed(2)} |`);
    const html = reportHtml(report);
    expect(html).toContain('all&lt;bad&gt;');
    expect(html).not.toContain('all<bad>');
    expect(html.match(/<svg /g)).toHaveLength(4);
    expect(html).toContain('<polyline');
    expect(html.match(/<img /g)).toHaveLength(4);
    expect(html).toContain('src="gallery/bottle/high-');
  });

  it('writes the four files atomically into the output folder (no temporary files left)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'aaclip-report-'));
    tempDirs.push(dir);
    await writeEvaluationReports(dir, sampleReport());
    expect(readdirSync(dir).sort()).toEqual(['metrics.csv', 'metrics.json', 'report.html', 'report.md']);
    expect(JSON.parse(readFileSync(path.join(dir, 'metrics.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(metricsJson(sampleReport()))));
  });
});

describe('heatmaps', () => {
  it('jet runs from dark blue through green to dark red', () => {
    expect(colormapColor(0)).toEqual([0, 0, 128]);
    const [r, g, b] = colormapColor(0.5); // the table entry nearest ½ is 128/255
    expect(g).toBe(255);
    expect(Math.abs(r - 128)).toBeLessThanOrEqual(2);
    expect(Math.abs(b - 128)).toBeLessThanOrEqual(2);
    expect(colormapColor(1)).toEqual([128, 0, 0]);
    expect(colormapColor(2)).toEqual(colormapColor(1));
  });

  it('blends image and colour by the image weight, scaling the map to its range', () => {
    const rgb = Uint8Array.from([200, 100, 50, 200, 100, 50]);
    const map = Float32Array.from([3, 5]);
    expect(Array.from(renderHeatmapOverlay(rgb, 2, 1, map, { imageWeight: 1 }))).toEqual(Array.from(rgb));
    expect(Array.from(renderHeatmapOverlay(rgb, 2, 1, map, { imageWeight: 0 }))).toEqual([0, 0, 128, 128, 0, 0]);
    expect(Array.from(renderHeatmapOverlay(rgb, 2, 1, map))).toEqual([100, 50, 89, 164, 50, 25]);
    // A fixed range: both values below the minimum show the colour of 0.
    expect(Array.from(renderHeatmapOverlay(rgb, 2, 1, map, { imageWeight: 0, min: 10, max: 20 }))).toEqual([0, 0, 128, 0, 0, 128]);
  });

  it('resamples a smaller map bilinearly and draws a contour', () => {
    const rgb = new Uint8Array(4 * 4 * 3);
    const map = Float32Array.from([0, 1, 0, 1]); // 2×2: left column 0, right column 1
    const out = renderHeatmapOverlay(rgb, 4, 4, map, { mapWidth: 2, mapHeight: 2, imageWeight: 0 });
    const red = (x: number, y: number): number => out[(y * 4 + x) * 3]!;
    expect(red(0, 1)).toBe(colormapColor(0)[0]);
    expect(red(3, 1)).toBe(colormapColor(1)[0]);
    expect(Array.from(out.subarray((1 * 4 + 1) * 3, (1 * 4 + 1) * 3 + 3))).toEqual(colormapColor(0.25));
    const contour = new Uint8Array(16);
    contour.fill(1, 4, 12); // rows 1 and 2
    const withContour = renderHeatmapOverlay(rgb, 4, 4, map, { mapWidth: 2, mapHeight: 2, contour });
    expect(Array.from(withContour.subarray(4 * 3, 4 * 3 + 3))).toEqual([255, 255, 255]);
    expect(Array.from(withContour.subarray(0, 3))).not.toEqual([255, 255, 255]);
  });

  it('encodes PNGs losslessly, shrinking to maxSide', async () => {
    const random = seededRandom(4);
    const rgb = Uint8Array.from({ length: 20 * 10 * 3 }, () => Math.floor(random() * 256));
    const png = await encodeRgbPng(rgb, 20, 10);
    const back = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([back.info.width, back.info.height, back.info.channels]).toEqual([20, 10, 3]);
    expect(new Uint8Array(back.data)).toEqual(rgb);
    const small = await sharp(await encodeRgbPng(rgb, 20, 10, { maxSide: 8 })).metadata();
    expect([small.width, small.height]).toEqual([8, 4]);
    expect(pngDataUrl(png).startsWith('data:image/png;base64,iVBORw0KGgo')).toBe(true);
  });
});
