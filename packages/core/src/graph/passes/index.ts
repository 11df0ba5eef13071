// Graph rewrites as passes over the IR, selected by what a device runs (see selectPasses).
export { FUSION_NAMES, type FusionName, type GraphPass } from './graphPass.js';
export { fuseAttention, MICROSOFT_DOMAIN } from './fuseAttention.js';
export { fuseGelu } from './fuseGelu.js';
export { convertToFloat16, float16 } from './float16.js';
export { int8, quantizeInt8, quantizePerChannel, type QuantizedWeight } from './quantizeInt8.js';
export { applyPasses, checkRewrites, PLAIN_CAPABILITIES, selectPasses, type PassSelection } from './selectPasses.js';
export { float32ToHalfBits } from './halfBits.js';
