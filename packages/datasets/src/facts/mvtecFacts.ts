import type { DatasetFacts } from './datasetFacts.js';

/** MVTec AD (Bergmann et al., CVPR 2019): 15 industrial classes. Prompt names are the reference's. */
export const MVTEC_FACTS: DatasetFacts = {
  name: 'MVTec',
  domain: 'industrial',
  classes: [
    'bottle', 'cable', 'capsule', 'carpet', 'grid', 'hazelnut', 'leather', 'metal_nut',
    'pill', 'screw', 'tile', 'transistor', 'toothbrush', 'wood', 'zipper',
  ],
  promptNames: {
    bottle: 'dark bottle',
    cable: 'top view of three cables',
    capsule: 'black and orange capsule',
    carpet: 'gray carpet',
    grid: 'metal or plastic mesh',
    hazelnut: 'single brown hazelnut',
    leather: 'brown leather',
    metal_nut: 'metal nut which has four notched edges',
    pill: "oval white pill with small red speckles and the letters 'FF' engraved",
    screw: 'screw',
    tile: 'speckled tile surface',
    transistor: 'a three-legged transistor placed vertically',
    toothbrush: 'toothbrush head',
    wood: 'wood surface',
    zipper: 'a black zipper',
  },
};
