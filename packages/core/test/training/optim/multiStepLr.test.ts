import { describe, expect, it } from 'vitest';
import { ImageStageSettings } from '../../../src/config/trainingSettings.js';
import { AaclipError } from '../../../src/errors/aaclipError.js';
import { MultiStepLr } from '../../../src/training/optim/multiStepLr.js';

describe('MultiStepLR (PyTorch semantics)', () => {
  it('multiplies by gamma at each milestone reached (lr·γ^(milestones ≤ step))', () => {
    const schedule = new MultiStepLr(0.1, [30, 10], 0.1);
    expect([0, 9, 10, 29, 30, 1000].map((s) => schedule.at(s))).toEqual([0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1 * 0.1, 0.1 * 0.1 * 0.1]);
  });

  it('counts a repeated milestone twice, as PyTorch’s Counter does', () => {
    expect(new MultiStepLr(1, [5, 5], 0.5).at(5)).toBe(0.25);
  });

  it('gives the stage-2 schedule from the settings: halves at 16000 and 32000 steps', () => {
    const stage = ImageStageSettings.parse({});
    const schedule = MultiStepLr.forImageStage(stage);
    expect(schedule.at(0)).toBe(stage.learningRate);
    expect(schedule.at(15999)).toBe(stage.learningRate);
    expect(schedule.at(16000)).toBe(stage.learningRate * stage.lrGamma);
    expect(schedule.at(32000)).toBe(stage.learningRate * stage.lrGamma * stage.lrGamma);
  });

  it('rejects bad settings and step counts', () => {
    expect(() => new MultiStepLr(1, [1.5], 0.5)).toThrow(AaclipError);
    expect(() => new MultiStepLr(1, [10], 0)).toThrow(/MultiStepLR: gamma/);
    expect(() => new MultiStepLr(Number.NaN, [10], 0.5)).toThrow(AaclipError);
    expect(() => new MultiStepLr(1, [10], 0.5).at(-1)).toThrow(/step count/);
  });
});
