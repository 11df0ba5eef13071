import type { DatasetFacts } from './datasetFacts.js';

// Each medical set is one class in the reference. Brain, liver and retina images are all
// prompted as "scan", the polyp sets as "colon endoscopy image".

function singleClass(name: string, className: string, promptName: string): DatasetFacts {
  return { name, domain: 'medical', classes: [className], promptNames: { [className]: promptName } };
}

/** BMAD brain MRI (BraTS2021 slices). */
export const BRAIN_MRI_FACTS = singleClass('Brain', 'Brain', 'scan');
/** BMAD liver CT (BTCV + LiTS slices). */
export const LIVER_CT_FACTS = singleClass('Liver', 'Liver', 'scan');
/** BMAD retinal OCT (RESC). */
export const RESC_FACTS = singleClass('Retina', 'Retina', 'scan');
export const CVC_CLINICDB_FACTS = singleClass('Colon_clinicDB', 'Colon_clinicDB', 'colon endoscopy image');
export const CVC_COLONDB_FACTS = singleClass('Colon_colonDB', 'Colon_colonDB', 'colon endoscopy image');
export const KVASIR_FACTS = singleClass('Colon_Kvasir', 'Kvasir', 'colon endoscopy image');
export const CVC_300_FACTS = singleClass('Colon_cvc300', 'CVC-300', 'colon endoscopy image');
