// Stage 1's text anchors inside the graph (DESIGN.md, "Text anchors for a class"): each prompt
// embedding L2-normalised, the mean over a class's normal prompts and over its abnormal ones
// (a constant averaging matrix), L2-normalised again; then each image's anchors picked by its
// class as a one-hot row times the class anchors (a MatMul, so no index Gather).
import type { GraphBuilder } from '../../graph/graphBuilder.js';

export interface PromptCounts {
  /** Normal prompts per class (they come first in each class's block). */
  normalCount: number;
  abnormalCount: number;
}

/** The [2, P] matrix whose rows average the normal and the abnormal prompts of one class. */
export function promptAveragingMatrix(counts: PromptCounts): Float32Array {
  const prompts = counts.normalCount + counts.abnormalCount;
  const matrix = new Float32Array(2 * prompts);
  for (let p = 0; p < prompts; p++) {
    const normal = p < counts.normalCount;
    matrix[(normal ? 0 : 1) * prompts + p] = 1 / (normal ? counts.normalCount : counts.abnormalCount);
  }
  return matrix;
}

/** `embeds` [C·P, E] (class-major) → the class anchors [C, E, 2]. */
export function classAnchors(g: GraphBuilder, embeds: string, classes: number, embed: number, counts: PromptCounts): string {
  const prompts = counts.normalCount + counts.abnormalCount;
  const perClass = g.reshape(g.l2Normalize(embeds, -1, 'prompt_features'), [classes, prompts, embed], 'prompt_features_per_class');
  const averaging = g.constant({ dtype: 'F32', shape: [2, prompts], data: promptAveragingMatrix(counts) }, 'prompt_averaging');
  const stateMeans = g.matmul(averaging, perClass, 'state_means'); // [C, 2, E]
  return g.transpose(g.l2Normalize(stateMeans, -1, 'state_anchors'), [0, 2, 1], 'class_anchors_value'); // [C, E, 2]
}

/** `classOneHot` [B, C] times the class anchors [C, E, 2] → each image's anchors [B, E, 2]. */
export function imageAnchors(g: GraphBuilder, classOneHot: string, anchors: string, batch: number, classes: number, embed: number): string {
  const flat = g.reshape(anchors, [classes, embed * 2], 'class_anchor_rows');
  return g.reshape(g.matmul(classOneHot, flat), [batch, embed, 2], 'image_anchors');
}
