// The same detection on the Node backend (onnxruntime-node, cpu): what the page must reproduce.
import { AnomalyDetector, type Detection } from '@aaclip/core';
import { decodeImageFile, loadModelFiles } from '@aaclip/backend-node';
import { fixtureFile, vocabPath } from '../../../../test-support/fixture.js';

/** The fixture run: open_clip config at its native size 32, run at 48, industrial, "dark bottle". */
export const FIXTURE_RUN = { imageSize: 48, domain: 'industrial', className: 'dark bottle' } as const;

let detector: Promise<AnomalyDetector> | undefined;

async function nodeDetector(): Promise<AnomalyDetector> {
  detector ??= loadModelFiles({
    modelConfig: fixtureFile('open_clip_config.json'),
    weights: fixtureFile('clip.safetensors'),
    adapters: [fixtureFile('adapters.safetensors')],
    vocab: vocabPath,
  }).then((model) =>
    AnomalyDetector.create(model, {
      settings: { imageSize: FIXTURE_RUN.imageSize, domain: FIXTURE_RUN.domain },
      backend: 'node',
      device: 'cpu',
    }),
  );
  return detector;
}

export async function detectOnNode(imageFile: string): Promise<Detection> {
  const [detection] = await (await nodeDetector()).detect([await decodeImageFile(imageFile)], FIXTURE_RUN.className);
  return detection!;
}

export async function disposeNodeDetector(): Promise<void> {
  if (detector) await (await detector).dispose();
  detector = undefined;
}
