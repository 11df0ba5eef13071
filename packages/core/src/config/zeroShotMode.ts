// What a detector runs when it has no AA-CLIP adapters: a training-free zero-shot baseline, so a
// user with only CLIP weights still gets maps (both score against plain CLIP's text anchors).
import { z } from 'zod';

export const ZeroShotMode = z
  .enum([
    /** Plain CLIP: patch tokens at the levels through ln_post @ visual.proj; det token = CLS embedding. */
    'plain',
    /**
     * AA-CLIP's frozen stage-1 feature CLIP ("surgery": V-V attention from block
     * TextStageSettings.surgeryFromBlock on): seg tokens = the surgery features per level, det
     * token = plain CLIP's CLS embedding. V-V attention keeps each patch token about its own
     * patch (CLIP Surgery), which is why AA-CLIP trains its text anchors against these features.
     */
    'surgery',
  ])
  .default('plain');
export type ZeroShotMode = z.infer<typeof ZeroShotMode>;
