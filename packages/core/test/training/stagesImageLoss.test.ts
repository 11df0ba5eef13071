import { describe, expect, it } from 'vitest';
import { TrainingSettings, buildImageStageLossGraph, validateGraph } from '@aaclip/core';
import type { Graph } from '@aaclip/core';
import { goldenFloats, loadFixture } from '../../../../test-support/fixtureLoader.js';
import { floatTensor } from '../graph/runOnnx.js';
import {
  DIFFERENTIABLE_OPS,
  LOSS_TOLERANCE,
  OFF_PATH_OPS,
  floats,
  gradientPathBreaches,
  masksFeed,
  oneHotLabels,
  relativeError,
  runGraph,
  scalarOf,
  trainTensors,
} from './stagesFixture.js';

const BATCH = 3;
const EMBED = 48;

let cached: Graph | undefined;
function imageStageGraph(): Graph {
  const fixture = loadFixture();
  cached ??= buildImageStageLossGraph({
    config: fixture.config,
    weights: fixture.clip,
    adapters: fixture.adapters,
    settings: fixture.settings,
    training: TrainingSettings.parse({}),
    batchSize: BATCH,
  });
  return cached;
}

/** The same [E, 2] anchors for every image, as [B, E, 2]. */
function repeatedAnchors(anchors: Float32Array): Float32Array {
  const data = new Float32Array(BATCH * anchors.length);
  for (let b = 0; b < BATCH; b++) data.set(anchors, b * anchors.length);
  return data;
}

async function stage2Loss(anchors: Float32Array): Promise<Record<string, number>> {
  const out = await runGraph(imageStageGraph(), {
    pixel_values: floatTensor(goldenFloats(loadFixture(), 'pixel_values'), [BATCH, 3, 48, 48]),
    anchors: floatTensor(repeatedAnchors(anchors), [BATCH, EMBED, 2]),
    label_one_hot: oneHotLabels(2),
    masks: masksFeed(),
  });
  return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, scalarOf(t)]));
}

describe('stage 2 loss graph (image adapters)', () => {
  it('has the inputs, outputs and trainable initializers it promises, in differentiable ops', () => {
    const graph = imageStageGraph();
    expect(() => validateGraph(graph)).not.toThrow();
    expect(graph.inputs.map((v) => [v.name, v.dtype, v.shape])).toEqual([
      ['pixel_values', 'F32', [BATCH, 3, 48, 48]],
      ['anchors', 'F32', [BATCH, EMBED, 2]],
      ['label_one_hot', 'F32', [BATCH, 2]],
      ['masks', 'F32', [BATCH, 48, 48]],
    ]);
    expect(graph.outputs.map((v) => v.name)).toEqual([
      'loss_ce', 'loss_focal_0', 'loss_dice_0', 'loss_focal_1', 'loss_dice_1', 'loss_focal_2', 'loss_dice_2', 'loss_focal_3', 'loss_dice_3', 'loss',
    ]);
    expect(graph.outputs.every((v) => v.shape.length === 0)).toBe(true);
    const fixture = loadFixture();
    for (const key of fixture.adapters.keys()) {
      expect(graph.initializers.has(key), key).toBe(key.startsWith('image_adapter.'));
    }
    const foreign = graph.nodes.filter((n) => !DIFFERENTIABLE_OPS.has(n.op) && !OFF_PATH_OPS.has(n.op)).map((n) => n.op);
    expect(foreign).toEqual([]);
    const trainable = [...fixture.adapters.keys()].filter((key) => key.startsWith('image_adapter.'));
    expect(trainable).toHaveLength(11);
    expect(gradientPathBreaches(graph, trainable)).toEqual([]);
  });

  it('golden.safetensors: stage2_loss with text_anchors within 1e-4 relative', async () => {
    const fixture = loadFixture();
    const out = await stage2Loss(goldenFloats(fixture, 'text_anchors'));
    const expected = goldenFloats(fixture, 'stage2_loss')[0]!;
    const error = relativeError(out.loss!, expected);
    const parts = Object.entries(out).filter(([n]) => n !== 'loss').map(([n, v]) => `${n} ${v.toFixed(6)}`).join(', ');
    console.log(`stage 2 (golden): loss ${out.loss} vs ${expected}, relative error ${error.toExponential(2)} (${parts})`);
    expect(error).toBeLessThan(LOSS_TOLERANCE);
  });

  it('train.safetensors: stage2_loss with stage2_anchors within 1e-4 relative', async () => {
    const out = await stage2Loss(floats(trainTensors(), 'stage2_anchors'));
    const expected = floats(trainTensors(), 'stage2_loss')[0]!;
    const error = relativeError(out.loss!, expected);
    console.log(`stage 2 (train): loss ${out.loss} vs ${expected}, relative error ${error.toExponential(2)}`);
    expect(error).toBeLessThan(LOSS_TOLERANCE);
  });

  it('rejects a batch size that is not a positive integer', () => {
    const fixture = loadFixture();
    expect(() =>
      buildImageStageLossGraph({
        config: fixture.config,
        weights: fixture.clip,
        adapters: fixture.adapters,
        settings: fixture.settings,
        training: TrainingSettings.parse({}),
        batchSize: 0,
      }),
    ).toThrow(/^image stage loss graph: batchSize must be a positive integer, got 0$/);
  });
});
