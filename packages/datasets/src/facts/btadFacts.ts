import type { DatasetFacts } from './datasetFacts.js';

/** BTAD (beanTech, Mishra et al., 2021): 3 products. Prompt names are the reference's. */
export const BTAD_FACTS: DatasetFacts = {
  name: 'BTAD',
  domain: 'industrial',
  classes: ['01', '02', '03'],
  promptNames: {
    '01':
      'Bright concentric rings in neon yellow and blue tones against a dark blue background, resembling a stylized wave or energy field radiating outward.',
    '02': 'vertical fabric lines in warm, dusty pink and beige tones',
    '03': 'oval concentric circular rings in gradient shades of blue and white',
  },
};
