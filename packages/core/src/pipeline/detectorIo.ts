// The detector's model inputs and outputs, named in one place: the tower builders name their graph
// values with these, and the detector feeds and reads its sessions (built or prebuilt) by them.
import { AaclipError } from '../errors/aaclipError.js';
import { CLS_EMBEDDING_OUTPUT, surgeryFeaturesOutput } from '../graph/towers/surgeryTower.js';
import { TEXT_INPUT, TEXT_OUTPUT } from '../graph/towers/textTower.js';
import { DET_TOKEN_OUTPUT, VISION_INPUT, segTokensOutput } from '../graph/towers/visionTower.js';

/**
 * Which image tower a vision model is: 'adapted' (AA-CLIP, with adapters) and 'plain' (CLIP
 * without adapters) both output `seg_tokens_k` and `det_token`; 'surgery' (the zero-shot
 * stage-1 feature CLIP) outputs `surgery_features_k` and `cls_embedding`.
 */
export type VisionTowerKind = 'adapted' | 'plain' | 'surgery';

/** The names a detector's two models are fed and read by. */
export const DETECTOR_IO = {
  /** Vision input: f32 [batch, 3, S, S] preprocessed pixels. */
  visionInput: VISION_INPUT,
  /** Text input: int64 [n, context_length] token ids. */
  textInput: TEXT_INPUT,
  /** Text output: f32 [n, embed] prompt embeddings (not normalised). */
  textOutput: TEXT_OUTPUT,
} as const;

/** The vision outputs a detector reads: per-level patch tokens and the image (det) token. */
export interface VisionOutputNames {
  /** Output holding level k's patch tokens, f32 [batch, grid², embed], each L2-normalised. */
  readonly levelTokens: (level: number) => string;
  /** Output holding the det token, f32 [batch, embed]. */
  readonly detToken: string;
}

const SEG_OUTPUTS: VisionOutputNames = { levelTokens: segTokensOutput, detToken: DET_TOKEN_OUTPUT };
const SURGERY_OUTPUTS: VisionOutputNames = { levelTokens: surgeryFeaturesOutput, detToken: CLS_EMBEDDING_OUTPUT };

/** The vision output names of a tower kind. */
export function visionOutputsOf(kind: VisionTowerKind): VisionOutputNames {
  return kind === 'surgery' ? SURGERY_OUTPUTS : SEG_OUTPUTS;
}

/** Every output of a vision model with `levelCount` levels, in the order the builder emits them. */
export function visionOutputList(kind: VisionTowerKind, levelCount: number): string[] {
  const names = visionOutputsOf(kind);
  return [...Array.from({ length: levelCount }, (_, k) => names.levelTokens(k)), names.detToken];
}

const missing = (need: readonly string[], have: readonly string[]): string[] => need.filter((n) => !have.includes(n));

/**
 * Checks a loaded (possibly prebuilt) pair of sessions against what the detector will feed and read,
 * and tells the image tower's kind from its outputs. `levelCount` is the settings' level count: a
 * model with fewer or more level outputs was built for other settings and is refused.
 */
export function checkDetectorSessions(
  vision: { readonly inputNames: readonly string[]; readonly outputNames: readonly string[] },
  text: { readonly inputNames: readonly string[]; readonly outputNames: readonly string[] },
  levelCount: number,
  sources: { readonly vision: string; readonly text: string } = { vision: 'vision model', text: 'text model' },
): 'seg' | 'surgery' {
  if (!vision.inputNames.includes(DETECTOR_IO.visionInput)) {
    throw new AaclipError(`has no input "${DETECTOR_IO.visionInput}" (inputs: ${vision.inputNames.join(', ') || 'none'})`, sources.vision);
  }
  const kind = vision.outputNames.includes(CLS_EMBEDDING_OUTPUT) ? 'surgery' : 'plain';
  const need = visionOutputList(kind, levelCount);
  const absent = missing(need, vision.outputNames);
  if (absent.length > 0) {
    throw new AaclipError(`has no output "${absent[0]}" (the settings' ${levelCount} levels need ${need.join(', ')})`, sources.vision);
  }
  const extra = visionOutputsOf(kind).levelTokens(levelCount);
  if (vision.outputNames.includes(extra)) {
    throw new AaclipError(`has an output "${extra}": it was built for more levels than the settings' ${levelCount}`, sources.vision);
  }
  if (!text.inputNames.includes(DETECTOR_IO.textInput) || !text.outputNames.includes(DETECTOR_IO.textOutput)) {
    throw new AaclipError(`needs input "${DETECTOR_IO.textInput}" and output "${DETECTOR_IO.textOutput}" (has ${[...text.inputNames, ...text.outputNames].join(', ') || 'none'})`, sources.text);
  }
  return kind === 'surgery' ? 'surgery' : 'seg';
}
