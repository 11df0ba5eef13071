/** The metrics reported per class, as fractions in [0, 1]; null where undefined (e.g. one label value). */
export interface ClassMetrics {
  pixel_auroc: number | null;
  pixel_ap: number | null;
  pixel_aupro: number | null;
  pixel_f1max: number | null;
  image_auroc: number | null;
  image_ap: number | null;
  image_f1max: number | null;
}

/** The metric names in report order. */
export const METRIC_NAMES = [
  'pixel_auroc',
  'pixel_ap',
  'pixel_aupro',
  'pixel_f1max',
  'image_auroc',
  'image_ap',
  'image_f1max',
] as const satisfies readonly (keyof ClassMetrics)[];

export type MetricName = (typeof METRIC_NAMES)[number];

/** Short column titles for tables. */
export const METRIC_TITLES: Record<MetricName, string> = {
  pixel_auroc: 'Pixel AUROC',
  pixel_ap: 'Pixel AP',
  pixel_aupro: 'Pixel AUPRO',
  pixel_f1max: 'Pixel F1-max',
  image_auroc: 'Image AUROC',
  image_ap: 'Image AP',
  image_f1max: 'Image F1-max',
};

/** Per metric, the mean over the classes where it is defined; null where no class defines it. */
export function meanMetrics(classes: readonly ClassMetrics[]): ClassMetrics {
  const mean = {} as ClassMetrics;
  for (const name of METRIC_NAMES) {
    const defined = classes.map((c) => c[name]).filter((v): v is number => v !== null);
    mean[name] = defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : null;
  }
  return mean;
}
