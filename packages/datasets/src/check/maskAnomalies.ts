import path from 'node:path';
import type { RawImage } from '@aaclip/core';
import { datasetProblem, type DatasetProblem } from './datasetProblem.js';

/** Whether a decoded mask marks no pixel: every colour sample is 0 (an alpha channel is ignored, as the metrics do). */
export function maskIsBlank(mask: RawImage): boolean {
  const colours = mask.channels === 2 || mask.channels === 4 ? mask.channels - 1 : mask.channels;
  const { data, channels } = mask;
  for (let p = 0; p < data.length; p += channels) {
    for (let c = 0; c < colours; c++) if (data[p + c] !== 0) return false;
  }
  return true;
}

export interface MaskFacts {
  readonly width: number;
  readonly height: number;
  /** Known only when the mask was decoded. */
  readonly blank?: boolean;
}

/**
 * What is odd about a readable mask, the same for `datasets check` and `eval`: a size other than
 * its image's (the metrics would stretch it), or no marked pixel for an image labelled anomalous
 * (its pixels all count as normal).
 */
export function maskAnomalies(
  sample: { readonly imagePath: string; readonly maskPath: string; readonly label: number },
  image: { readonly width: number; readonly height: number } | null,
  mask: MaskFacts,
): DatasetProblem[] {
  const problems: DatasetProblem[] = [];
  if (image && (mask.width !== image.width || mask.height !== image.height)) {
    problems.push(
      datasetProblem('mask-size-mismatch', sample.maskPath, `mask is ${mask.width}×${mask.height} but its image ${path.basename(sample.imagePath)} is ${image.width}×${image.height}`),
    );
  }
  if (mask.blank === true && sample.label !== 0) {
    problems.push(datasetProblem('empty-mask', sample.maskPath, `mask is all zero but its image ${path.basename(sample.imagePath)} is labelled anomalous`));
  }
  return problems;
}
