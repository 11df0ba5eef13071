// The fixture model with its adapters as a detector on node/cpu, at image size 48: what the
// commands run with FIXTURE_MODEL_FLAGS, for tests that compare a service or a queue with it.
import { AnomalyDetector, type AaclipSettingsInput } from '@aaclip/core';
import { loadModelFiles } from '@aaclip/backend-node';
import { fixtureFile, vocabPath } from './fixture.js';

export async function fixtureDetector(settings: AaclipSettingsInput = {}): Promise<AnomalyDetector> {
  const model = await loadModelFiles({
    modelConfig: fixtureFile('open_clip_config.json'),
    weights: fixtureFile('clip.safetensors'),
    adapters: [fixtureFile('adapters.safetensors')],
    vocab: vocabPath,
  });
  return AnomalyDetector.create(model, { backend: 'node', device: 'cpu', settings: { imageSize: 48, ...settings } });
}
