import { describe, expect, it } from 'vitest';
import { AaclipError, computeTextAnchors } from '@aaclip/core';
import { fixtureTensors } from '../../../../test-support/fixtureLoader.js';
import { maxAbsError } from '@aaclip/core/testing';

describe('computeTextAnchors', () => {
  it('reproduces the reference anchors from its normalised prompt features (1e-4)', () => {
    const golden = fixtureTensors('golden.safetensors');
    const features = golden.get('text_features_adapted')!.data as Float32Array;
    const expected = golden.get('text_anchors')!.data as Float32Array;
    // 6 normal prompts (3 states × 2 templates), then 10 abnormal ones.
    const anchors = computeTextAnchors(features, 48, 6, 10);
    expect(anchors.length).toBe(96);
    expect(maxAbsError(anchors, expected)).toBeLessThan(1e-4);
  });

  it('normalises each prompt before averaging and returns unit columns [embed, 2]', () => {
    // Normal prompts: (3, 0) and (0, 1); abnormal: (0, -5). Normalised then averaged: (0.5, 0.5) → (1/√2, 1/√2).
    const anchors = computeTextAnchors(new Float32Array([3, 0, 0, 1, 0, -5]), 2, 2, 1);
    expect(anchors[0]).toBeCloseTo(Math.SQRT1_2, 6); // dim 0, normal
    expect(anchors[2]).toBeCloseTo(Math.SQRT1_2, 6); // dim 1, normal
    expect(anchors[1]).toBeCloseTo(0, 6); // dim 0, anomalous
    expect(anchors[3]).toBeCloseTo(-1, 6); // dim 1, anomalous
  });

  it('refuses counts that do not match the embeddings', () => {
    expect(() => computeTextAnchors(new Float32Array(10), 2, 2, 2)).toThrow(AaclipError);
    expect(() => computeTextAnchors(new Float32Array(8), 2, 0, 4)).toThrow(/normalCount/);
    expect(() => computeTextAnchors(new Float32Array([0, 0, 1, 1]), 2, 1, 1)).toThrow(/zero/);
  });
});
