import { MPDD_FACTS } from '../facts/mpddFacts.js';
import { classTreeFormat } from './classTree.js';

/** MPDD is published in MVTec AD's layout (masks named <name>_mask.png). */
export const mpddFormat = classTreeFormat(
  'MPDD (MVTec layout): <class>/{train/good,test/<defect>,ground_truth/<defect>/<name>_mask.png}',
  { facts: MPDD_FACTS, normalFolders: ['good'], maskStems: (stem) => [`${stem}_mask`, stem] },
);
