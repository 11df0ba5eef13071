import type { DatasetFacts } from './datasetFacts.js';

/** VisA (Zou et al., ECCV 2022): 12 industrial classes. Prompt names are the reference's. */
export const VISA_FACTS: DatasetFacts = {
  name: 'VisA',
  domain: 'industrial',
  classes: [
    'candle', 'pcb3', 'capsules', 'pipe_fryum', 'pcb4', 'macaroni2',
    'pcb2', 'chewinggum', 'macaroni1', 'cashew', 'fryum', 'pcb1',
  ],
  promptNames: {
    candle: 'candle',
    pcb3: 'infrared sensor pcb module',
    capsules: 'capsules',
    pipe_fryum: 'pipe-shaped fryum',
    pcb4: 'battery charging pcb module',
    macaroni2: 'scattered yellow macaroni',
    pcb2: 'integrated circuits board',
    chewinggum: 'chewing gum',
    macaroni1: 'orange macaroni',
    cashew: 'cashew nut',
    fryum: 'wheel-shaped fryum snack',
    pcb1: 'dual ultrasonic distance sensor pcb module',
  },
};
