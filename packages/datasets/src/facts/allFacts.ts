import { BTAD_FACTS } from './btadFacts.js';
import type { DatasetFacts } from './datasetFacts.js';
import {
  BRAIN_MRI_FACTS, CVC_300_FACTS, CVC_CLINICDB_FACTS, CVC_COLONDB_FACTS, KVASIR_FACTS, LIVER_CT_FACTS, RESC_FACTS,
} from './medicalFacts.js';
import { MPDD_FACTS } from './mpddFacts.js';
import { MVTEC_FACTS } from './mvtecFacts.js';
import { VISA_FACTS } from './visaFacts.js';

/** Every dataset AA-CLIP is evaluated on, in the reference's order. */
export const ALL_DATASET_FACTS: readonly DatasetFacts[] = [
  BRAIN_MRI_FACTS, LIVER_CT_FACTS, RESC_FACTS, CVC_CLINICDB_FACTS, CVC_COLONDB_FACTS, KVASIR_FACTS, CVC_300_FACTS,
  BTAD_FACTS, MPDD_FACTS, MVTEC_FACTS, VISA_FACTS,
];
