// The part both stage loss graphs begin with (internal: not re-exported from the package).
import { checkSettingsForModel } from '../../config/aaclipSettings.js';
import { checkedAdapters, checkedClipWeights } from '../../graph/buildModels.js';
import { DEFAULT_WEIGHT_SOURCES, type WeightSources } from '../../graph/towers/visionTower.js';
import type { TensorMap } from '../../tensor/tensor.js';
import type { StageLossModel } from './stageIo.js';
/**
 * The settings checked against the model, and one tower's CLIP weights and adapters checked as the
 * tower builders check them, with the names errors give them.
 */
export function checkedStageWeights(model: StageLossModel, tower: 'vision' | 'text'): { clip: TensorMap; adapters: TensorMap; sources: WeightSources } {
  checkSettingsForModel(model.settings, model.config, 'settings');
  const sources: WeightSources = {
    clip: model.weightsSource ?? DEFAULT_WEIGHT_SOURCES.clip,
    adapters: model.adaptersSource ?? DEFAULT_WEIGHT_SOURCES.adapters,
  };
  const vision = tower === 'vision';
  return {
    clip: checkedClipWeights(model.config, model.weights, vision, sources.clip),
    adapters: checkedAdapters(model.config, model.settings, model.adapters, vision, sources.adapters),
    sources,
  };
}
