// validateClipWeights (what AnomalyDetector.create and the build step check first) accepts exactly
// the weights the tower builders accept: each variant below is accepted by both or refused by both.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildSurgeryTowerGraph,
  buildTextTowerGraph,
  buildVisionTowerGraph,
  parseModelConfig,
  validateClipWeights,
  type ClipModelConfig,
  type Tensor,
  type TensorMap,
} from '@aaclip/core';
import { interpolatePositionEmbedding } from '../../src/graph/towers/positionEmbedding.js';
import { loadFixture } from '../../../../test-support/fixtureLoader.js';
import { fixtureFile } from '../../../../test-support/fixture.js';

const POS = 'visual.positional_embedding';

/** The weights with `name` replaced (undefined: removed). */
function patched(name: string, tensor: Tensor | undefined): TensorMap {
  const out = new Map(loadFixture().clip);
  if (tensor) out.set(name, tensor);
  else out.delete(name);
  return out;
}

const f32 = (shape: number[], fill = 0.01): Tensor => ({ dtype: 'F32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill) });

function toF16(weights: TensorMap): TensorMap {
  // Every value as float16 bits through a Float32 → half conversion good enough for the fixture's small weights.
  const half = (v: number): number => {
    const f = new Float32Array([v]);
    const bits = new Uint32Array(f.buffer)[0]!;
    const sign = (bits >>> 16) & 0x8000;
    const exp = ((bits >>> 23) & 0xff) - 127 + 15;
    if (exp <= 0) return sign;
    return sign | (exp << 10) | ((bits >>> 13) & 0x3ff);
  };
  return new Map([...weights].map(([k, t]) => [k, { dtype: 'F16', shape: t.shape, data: Uint16Array.from(t.data as Float32Array, half) } as Tensor]));
}

const accepts = (run: () => unknown): boolean => {
  try {
    run();
    return true;
  } catch {
    return false;
  }
};

describe('weight validation equals what the builder accepts', () => {
  const fixture = loadFixture();
  const settings = fixture.settings; // run size 48: grid 6
  const native = parseModelConfig(JSON.parse(readFileSync(fixtureFile('open_clip_config.json'), 'utf8')), 'open_clip_config.json').model; // 32: grid 4
  const runSize = fixture.config; // config.json: vision_cfg.image_size at the run size
  const pos = fixture.clip.get(POS)!;
  const width = native.vision_cfg.width;

  const variants: [string, TensorMap, boolean][] = [
    ['the fixture (position embedding at the native grid 4)', fixture.clip, true],
    ['position embedding at the run grid 6', patched(POS, interpolatePositionEmbedding(pos, 6)), true],
    ['position embedding at another square grid (5)', patched(POS, interpolatePositionEmbedding(pos, 5)), true],
    ['position embedding of 18 rows (not a square grid + 1)', patched(POS, f32([18, width])), false],
    ['position embedding of another width', patched(POS, f32([17, width + 1])), false],
    ['position embedding missing', patched(POS, undefined), false],
    ['a text tensor missing', patched('ln_final.weight', undefined), false],
    ['visual.proj of the wrong shape', patched('visual.proj', f32([width, 7])), false],
    ['a NaN weight', patched('ln_final.bias', f32([native.text_cfg.width], Number.NaN)), false],
    ['an integer weight', patched('ln_final.bias', { dtype: 'I64', shape: [native.text_cfg.width], data: new BigInt64Array(native.text_cfg.width) }), false],
    ['half-precision weights', toF16(fixture.clip), true],
    ['every key under "module."', new Map([...fixture.clip].map(([k, t]) => [`module.${k}`, t])), true],
  ];

  for (const [config, label] of [[native, 'native-size config'], [runSize, 'run-size config']] as [ClipModelConfig, string][]) {
    it.each(variants)(`${label}: %s`, (_, weights, expected) => {
      const validated = accepts(() => validateClipWeights(config, weights, 'w'));
      const built = accepts(() => {
        buildVisionTowerGraph(config, weights, null, settings);
        buildTextTowerGraph(config, weights, null, settings);
      });
      // The zero-shot 'surgery' detector: the surgery image tower with the plain text tower.
      const surgery = accepts(() => {
        buildSurgeryTowerGraph(config, weights, settings);
        buildTextTowerGraph(config, weights, null, settings);
      });
      expect({ validated, built, surgery }).toEqual({ validated: expected, built: expected, surgery: expected });
    });
  }
});
