import path from 'node:path';
import { datasetProblem, type DatasetProblem } from '../check/datasetProblem.js';
import { fileStem, listImages } from './folderListing.js';

/**
 * The masks of one folder, paired to images by file-name stem. Layouts differ in how a mask is
 * named after its image ("000.png" → "000_mask.png" in MVTec, the same name in BTAD and BMAD), so
 * the caller gives the candidate stems. Masks left unpaired are reported as orphans.
 */
export class MaskFolder {
  private readonly byStem = new Map<string, string[]>();
  private readonly paired = new Set<string>();

  private constructor(readonly dir: string, masks: readonly string[]) {
    for (const mask of masks) {
      const stem = fileStem(mask);
      const list = this.byStem.get(stem);
      if (list) list.push(mask);
      else this.byStem.set(stem, [mask]);
    }
  }

  /** Lists a mask folder; a missing folder is a problem unless `optional` (then it pairs nothing). */
  static async open(dir: string, problems: DatasetProblem[], optional = false): Promise<MaskFolder> {
    return new MaskFolder(dir, await listImages(dir, problems, { optional }));
  }

  static empty(dir: string): MaskFolder {
    return new MaskFolder(dir, []);
  }

  /** The mask for `imagePath` under the first candidate stem that exists, or null. */
  pair(imagePath: string, candidateStems: (imageStem: string) => readonly string[], problems: DatasetProblem[]): string | null {
    for (const stem of candidateStems(fileStem(imagePath))) {
      const masks = this.byStem.get(stem);
      if (!masks) continue;
      for (const m of masks) this.paired.add(m);
      if (masks.length > 1) {
        problems.push(
          datasetProblem('orphan-mask', masks[1]!, `more than one mask for ${path.basename(imagePath)} (${masks.map((m) => path.basename(m)).join(', ')})`),
        );
      }
      return masks[0]!;
    }
    return null;
  }

  /** Reports every mask no image claimed. */
  reportOrphans(problems: DatasetProblem[]): void {
    for (const masks of this.byStem.values()) {
      for (const mask of masks) {
        if (!this.paired.has(mask)) problems.push(datasetProblem('orphan-mask', mask, 'mask without a matching image'));
      }
    }
  }
}
