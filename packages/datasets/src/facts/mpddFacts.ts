import type { DatasetFacts } from './datasetFacts.js';

/** MPDD (Jezek et al., 2021): 6 classes of painted metal parts. Prompt names are the reference's. */
export const MPDD_FACTS: DatasetFacts = {
  name: 'MPDD',
  domain: 'industrial',
  classes: ['connector', 'tubes', 'metal_plate', 'bracket_white', 'bracket_brown', 'bracket_black'],
  promptNames: {
    connector: 'metal clamps with black adjustment knobs',
    tubes: 'scattered metal objects',
    metal_plate: 'blue rectangular metal plate with a notch on one side',
    bracket_white: 'white, elongated triangular metal bracket with a smooth, matte finish',
    bracket_brown:
      'brown L-shaped metal bracket with smooth, glossy finish and multiple mounting holes along its arms',
    bracket_black: 'black ornamental metal bracket with spiral design attached to a rectangular frame',
  },
};
