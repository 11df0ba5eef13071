import { AaclipError } from '@aaclip/core';
import type { TrainingExample } from './trainingExample.js';

/**
 * Fails before any work unless the examples can train AA-CLIP: there must be images, at least
 * one of them anomalous, and every anomalous image must have its mask (both losses need it).
 * `root` names the dataset in the errors.
 */
export function checkTrainingExamples(examples: readonly TrainingExample[], root: string): void {
  const classes = [...new Set(examples.map((e) => e.className))];
  if (examples.length === 0) throw new AaclipError('no training images were selected', root);
  const anomalous = examples.filter((e) => e.label === 1);
  if (anomalous.length === 0) {
    const which = classes.length === 1 ? `class "${classes[0]}"` : `classes ${classes.map((c) => `"${c}"`).join(', ')}`;
    throw new AaclipError(
      `no anomalous image among the ${examples.length} training images of ${which}; training needs anomalous images with masks`,
      root,
    );
  }
  const unmasked = anomalous.filter((e) => e.maskPath === null);
  const first = unmasked[0];
  if (first) {
    const more = unmasked.length > 1 ? ` (and ${unmasked.length - 1} more anomalous image${unmasked.length > 2 ? 's' : ''} without one)` : '';
    throw new AaclipError(
      `anomalous image of class "${first.className}" has no mask${more}; training needs a mask for every anomalous image`,
      first.imagePath,
    );
  }
}
