// Pillow-exact NEAREST mask resizing lives in @aaclip/core (eval resizes its ground truth with the
// same code); re-exported here so @aaclip/train's public names keep working.
export { binaryMaskNearest, pillowNearestIndices } from '@aaclip/core';
