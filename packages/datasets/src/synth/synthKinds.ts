import { capsulePill, metalPlate, metalWasher } from './objectKinds.js';
import type { SynthKind } from './synthScene.js';
import { speckledTile, wireMesh, woodGrain, wovenFabric } from './textureKinds.js';

/** The class families, textures and objects alternating, so that two classes give one of each. */
export const SYNTH_KINDS: readonly SynthKind[] = [wovenFabric, metalWasher, woodGrain, capsulePill, speckledTile, metalPlate, wireMesh];
