// The tiny fixture model's adapter shapes, for the checkpoint and initialisation tests.
import { adapterWeightShapes, defaultAaclipSettings, type ExpectedShapes } from '@aaclip/core';
import { readModelConfig } from '@aaclip/backend-node';
import { fixtureFile } from '../../../test-support/fixture.js';

export async function tinyAdapterShapes(): Promise<ExpectedShapes> {
  const { model } = await readModelConfig(fixtureFile('open_clip_config.json'));
  return adapterWeightShapes(model, defaultAaclipSettings());
}

/** The same keys with every dimension doubled: a model of another size. */
export function biggerShapes(shapes: ExpectedShapes): ExpectedShapes {
  return new Map([...shapes].map(([key, shape]) => [key, shape.map((d) => d * 2)]));
}
