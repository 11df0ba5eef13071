// PyTorch's MultiStepLR: the learning rate is multiplied by gamma at each milestone. The reference
// calls scheduler.step() after every optimiser step, so milestones count optimiser steps.
import type { ImageStageSettings } from '../../config/trainingSettings.js';
import { AaclipError } from '../../errors/aaclipError.js';

export class MultiStepLr {
  private readonly milestones: readonly number[];

  constructor(
    readonly baseLr: number,
    milestones: readonly number[],
    readonly gamma: number,
  ) {
    const source = 'MultiStepLR';
    if (!Number.isFinite(baseLr) || baseLr < 0) throw new AaclipError(`base learning rate must be finite and ≥ 0, got ${baseLr}`, source);
    if (!Number.isFinite(gamma) || gamma <= 0) throw new AaclipError(`gamma must be finite and > 0, got ${gamma}`, source);
    for (const m of milestones) {
      if (!Number.isSafeInteger(m) || m < 0) throw new AaclipError(`milestones must be whole step counts ≥ 0, got ${m}`, source);
    }
    // A milestone listed twice multiplies by gamma twice, as PyTorch's Counter of milestones does.
    this.milestones = [...milestones].sort((a, b) => a - b);
  }

  /** The stage-2 schedule of the settings (learningRate, lrMilestones, lrGamma). */
  static forImageStage(settings: ImageStageSettings): MultiStepLr {
    return new MultiStepLr(settings.learningRate, settings.lrMilestones, settings.lrGamma);
  }

  /**
   * The learning rate of the optimiser step taken after `completedSteps` steps: baseLr·γ^(number of
   * milestones ≤ completedSteps), multiplied milestone by milestone as PyTorch's chained form does.
   */
  at(completedSteps: number): number {
    if (!Number.isSafeInteger(completedSteps) || completedSteps < 0) {
      throw new AaclipError(`step count must be a whole number ≥ 0, got ${completedSteps}`, 'MultiStepLR');
    }
    let lr = this.baseLr;
    for (const m of this.milestones) {
      if (m > completedSteps) break;
      lr *= this.gamma;
    }
    return lr;
  }
}
