import { describe, expect, it } from 'vitest';
import { TrainingSettings, buildTextStageLossGraph, countedTextStageLevels, validateGraph } from '@aaclip/core';
import type { Graph, Stage1Levels, TensorMap } from '@aaclip/core';
import type * as ort from 'onnxruntime-node';
import { goldenFloats, loadFixture } from '../../../../test-support/fixtureLoader.js';
import { floatTensor, int64Tensor } from '../graph/runOnnx.js';
import {
  DIFFERENTIABLE_OPS,
  LOSS_TOLERANCE,
  OFF_PATH_OPS,
  floats,
  gradientPathBreaches,
  masksFeed,
  relativeError,
  runGraph,
  scalarOf,
  trainTensors,
} from './stagesFixture.js';
import { maxAbsError } from '@aaclip/core/testing';

const BATCH = 3;
const TOKENS = 36;
const EMBED = 48;
// The fixture's one class (bottle): 3 normal states × 2 templates, then 5 abnormal × 2.
const PROMPTS = { normalCount: 6, abnormalCount: 10 };

function textStageGraph(levels: Stage1Levels, classCount = 1): Graph {
  const fixture = loadFixture();
  return buildTextStageLossGraph({
    config: fixture.config,
    weights: fixture.clip,
    adapters: fixture.adapters,
    settings: fixture.settings,
    training: TrainingSettings.parse({ text: { levels } }),
    batchSize: BATCH,
    classCount,
    prompts: PROMPTS,
  });
}

/** Feeds for the text stage: the golden prompts, every image of class 0, the features `source` holds under `prefix{k}`. */
function textStageFeeds(graph: Graph, source: TensorMap, prefix: string): Record<string, ort.Tensor> {
  const tokens = loadFixture().golden.get('prompt_tokens')!;
  const feeds: Record<string, ort.Tensor> = {
    input_ids: int64Tensor(tokens.data as BigInt64Array, tokens.shape),
    class_one_hot: floatTensor(new Float32Array(BATCH).fill(1), [BATCH, 1]),
    masks: masksFeed(),
  };
  for (const input of graph.inputs) {
    const level = /^patch_features_(\d)$/.exec(input.name)?.[1];
    if (level !== undefined) feeds[input.name] = floatTensor(floats(source, `${prefix}${level}`), [BATCH, TOKENS, EMBED]);
  }
  return feeds;
}

describe('stage 1 loss graph (text adapters)', () => {
  it('with the reference default (last level only) has the inputs, outputs and trainable initializers it promises', () => {
    const graph = textStageGraph('last');
    expect(() => validateGraph(graph)).not.toThrow();
    expect(graph.inputs.map((v) => [v.name, v.dtype, v.shape])).toEqual([
      ['input_ids', 'I64', [16, 77]],
      ['class_one_hot', 'F32', [BATCH, 1]],
      ['patch_features_3', 'F32', [BATCH, TOKENS, EMBED]],
      ['masks', 'F32', [BATCH, 48, 48]],
    ]);
    expect(graph.outputs.map((v) => v.name)).toEqual(['loss_focal_3', 'loss_dice_3', 'loss_orthogonality', 'loss', 'class_anchors']);
    expect(graph.outputs.find((v) => v.name === 'loss')!.shape).toEqual([]);
    for (let i = 0; i <= 3; i++) expect(graph.initializers.get(`text_adapter.${i}.fc.0.weight`), `text_adapter.${i}`).toBeDefined();
    expect([...graph.initializers.keys()].filter((k) => k.startsWith('image_adapter.'))).toEqual([]);
    const foreign = graph.nodes.filter((n) => !DIFFERENTIABLE_OPS.has(n.op) && !OFF_PATH_OPS.has(n.op)).map((n) => n.op);
    expect(foreign).toEqual([]);
    expect(gradientPathBreaches(graph, [0, 1, 2, 3].map((i) => `text_adapter.${i}.fc.0.weight`))).toEqual([]);
    expect(countedTextStageLevels(4, 'last')).toEqual([3]);
    expect(countedTextStageLevels(4, 'all')).toEqual([0, 1, 2, 3]);
  });

  it('golden.safetensors: stage1_loss from stage1_patch_features within 1e-4 relative, anchors within 1e-4', async () => {
    const fixture = loadFixture();
    const graph = textStageGraph('last');
    const out = await runGraph(graph, textStageFeeds(graph, fixture.golden, 'stage1_patch_features_'));
    const loss = scalarOf(out.loss!);
    const expected = goldenFloats(fixture, 'stage1_loss')[0]!;
    const error = relativeError(loss, expected);
    const anchorError = maxAbsError(out.class_anchors!.data as Float32Array, goldenFloats(fixture, 'text_anchors'));
    const parts = ['loss_focal_3', 'loss_dice_3', 'loss_orthogonality'].map((n) => `${n} ${scalarOf(out[n]!).toFixed(6)}`).join(', ');
    console.log(`stage 1 (golden): loss ${loss} vs ${expected}, relative error ${error.toExponential(2)} (${parts}); anchors max abs error ${anchorError.toExponential(2)}`);
    expect(error).toBeLessThan(LOSS_TOLERANCE);
    expect(anchorError).toBeLessThan(1e-4);
  });

  it('train.safetensors: stage1_loss from the surgery features within 1e-4 relative', async () => {
    const graph = textStageGraph('last');
    const out = await runGraph(graph, textStageFeeds(graph, trainTensors(), 'stage1_surgery_features_'));
    const loss = scalarOf(out.loss!);
    const expected = floats(trainTensors(), 'stage1_loss')[0]!;
    const error = relativeError(loss, expected);
    console.log(`stage 1 (train, surgery features): loss ${loss} vs ${expected}, relative error ${error.toExponential(2)}`);
    expect(error).toBeLessThan(LOSS_TOLERANCE);
  });

  it("'all' levels adds the other three levels' seg losses to the reference's 'last'", async () => {
    const fixture = loadFixture();
    const last = textStageGraph('last');
    const all = textStageGraph('all');
    expect(all.inputs.map((v) => v.name)).toEqual([
      'input_ids', 'class_one_hot', 'patch_features_0', 'patch_features_1', 'patch_features_2', 'patch_features_3', 'masks',
    ]);
    const lastOut = await runGraph(last, textStageFeeds(last, fixture.golden, 'stage1_patch_features_'));
    const allOut = await runGraph(all, textStageFeeds(all, fixture.golden, 'stage1_patch_features_'));
    let others = 0;
    for (let k = 0; k < 3; k++) others += scalarOf(allOut[`loss_focal_${k}`]!) + scalarOf(allOut[`loss_dice_${k}`]!);
    expect(others).toBeGreaterThan(0.1);
    const sumError = relativeError(scalarOf(allOut.loss!), scalarOf(lastOut.loss!) + others);
    console.log(`stage 1 'all': loss ${scalarOf(allOut.loss!)} vs 'last' ${scalarOf(lastOut.loss!)}; sum check relative error ${sumError.toExponential(2)}`);
    expect(sumError).toBeLessThan(1e-6);
    expect(scalarOf(allOut.loss_focal_3!)).toBe(scalarOf(lastOut.loss_focal_3!));
  });

  it('two classes: each image takes the anchors of its one-hot class from its own block of prompts', async () => {
    const fixture = loadFixture();
    const graph = textStageGraph('last', 2);
    const feeds = textStageFeeds(graph, fixture.golden, 'stage1_patch_features_');
    // Class 0: the fixture's prompts; class 1: the same rows in reverse order (abnormal ones first).
    const tokens = fixture.golden.get('prompt_tokens')!.data as BigInt64Array;
    const rows = Array.from({ length: 16 }, (_, r) => tokens.subarray(r * 77, (r + 1) * 77));
    const ids = new BigInt64Array(32 * 77);
    [...rows, ...[...rows].reverse()].forEach((row, r) => ids.set(row, r * 77));
    feeds.input_ids = int64Tensor(ids, [32, 77]);
    const run = async (classOfImage: number): Promise<Record<string, ort.Tensor>> => {
      const oneHot = new Float32Array(BATCH * 2);
      for (let b = 0; b < BATCH; b++) oneHot[b * 2 + classOfImage] = 1;
      return runGraph(graph, { ...feeds, class_one_hot: floatTensor(oneHot, [BATCH, 2]) });
    };
    const first = await run(0);
    const error = relativeError(scalarOf(first.loss!), goldenFloats(fixture, 'stage1_loss')[0]!);
    const anchors = first.class_anchors!.data as Float32Array;
    const anchorError = maxAbsError(anchors.subarray(0, EMBED * 2), goldenFloats(fixture, 'text_anchors'));
    console.log(`stage 1, two classes, all images class 0: relative error ${error.toExponential(2)}, anchors ${anchorError.toExponential(2)}`);
    expect(error).toBeLessThan(LOSS_TOLERANCE);
    expect(anchorError).toBeLessThan(1e-4);
    expect(Math.abs(scalarOf((await run(1)).loss!) - scalarOf(first.loss!))).toBeGreaterThan(0.01);
  });

  it('names the missing text adapter', () => {
    const fixture = loadFixture();
    const adapters = new Map(fixture.adapters);
    adapters.delete('text_adapter.1.fc.0.weight');
    expect(() =>
      buildTextStageLossGraph({
        config: fixture.config,
        weights: fixture.clip,
        adapters,
        settings: fixture.settings,
        training: TrainingSettings.parse({}),
        batchSize: BATCH,
        classCount: 1,
        prompts: PROMPTS,
        adaptersSource: 'adapters.safetensors',
      }),
    ).toThrow(/^adapters\.safetensors: missing tensor "text_adapter\.1\.fc\.0\.weight"/);
  });
});
