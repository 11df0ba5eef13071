// Graph rewrites as passes over the IR, selected by what a device runs (see selectPasses).
export { FUSION_NAMES, type FusionName, type GraphPass } from './graphPass.js';
export { fuseAttention, MICROSOFT_DOMAIN } from './fuseAttention.js';
export { fuseGelu } from './fuseGelu.js';
export { convertToFloat16, float16 } from './float16.js';
export { int8, isTransformerBlockWeight, quantizeInt8, quantizePerChannel, type QuantizeOptions, type QuantizedWeight } from './quantizeInt8.js';
export { applyPasses, checkRewrites, PLAIN_CAPABILITIES, selectPasses, textTowerPasses, type PassSelection } from './selectPasses.js';
export { float32ToHalfBits } from './halfBits.js';
