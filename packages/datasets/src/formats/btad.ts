import { BTAD_FACTS } from '../facts/btadFacts.js';
import { classTreeFormat } from './classTree.js';

/**
 * BTAD as published: <01|02|03>/{train/ok, test/{ok,ko}, ground_truth/ko}. A mask has its image's
 * name but not always its extension (product 01: images .bmp, masks .png). Copies converted to
 * MVTec's names (good/, <name>_mask.png) read the same way.
 */
export const btadFormat = classTreeFormat(
  'BTAD layout: <01|02|03>/{train/ok,test/{ok,ko},ground_truth/ko/<name>.png}',
  { facts: BTAD_FACTS, normalFolders: ['ok', 'good'], maskStems: (stem) => [stem, `${stem}_mask`] },
);
