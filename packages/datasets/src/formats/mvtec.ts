import { MVTEC_FACTS } from '../facts/mvtecFacts.js';
import { classTreeFormat } from './classTree.js';

/** MVTec AD: <class>/{train/good, test/<defect>, ground_truth/<defect>/<name>_mask.png}. */
export const mvtecFormat = classTreeFormat(
  'MVTec AD layout: <class>/{train/good,test/<defect>,ground_truth/<defect>/<name>_mask.png}',
  { facts: MVTEC_FACTS, normalFolders: ['good'], maskStems: (stem) => [`${stem}_mask`, stem] },
);
