// A class's anchors from a loaded text model: its prompts tokenised, run through the text tower,
// and reduced to the normal/anomalous pair (computeTextAnchors). The detector and the bundle
// export both make anchors this way.
import { AaclipError } from '../errors/aaclipError.js';
import type { BackendSession } from '../backend/backend.js';
import { expandPrompts, type PromptSet } from '../config/promptSet.js';
import type { ClipTokenizer } from '../tokenizer/clipTokenizer.js';
import { TEXT_INPUT, TEXT_OUTPUT } from '../graph/towers/textTower.js';
import { computeTextAnchors } from './textAnchors.js';

export interface PromptAnchorsInput {
  /** A session of the text model (input "input_ids", output "text_embeds"). */
  readonly textSession: Pick<BackendSession, 'run'>;
  readonly tokenizer: ClipTokenizer;
  /** The text tower's context length (tokens per prompt). */
  readonly contextLength: number;
  /** Width of the shared embedding. */
  readonly embedDim: number;
  readonly promptSet: PromptSet;
}

/** Anchors [embed, 2] row-major (column 0 normal, 1 anomalous) for the text put into the prompts. */
export async function promptAnchors(input: PromptAnchorsInput, promptName: string): Promise<Float32Array> {
  const { prompts, normalCount, abnormalCount } = expandPrompts(input.promptSet, promptName);
  const { ids, shape } = input.tokenizer.encodeBatch(prompts, { contextLength: input.contextLength });
  const out = await input.textSession.run({ [TEXT_INPUT]: { dtype: 'I64', shape, data: ids } });
  const embeds = out[TEXT_OUTPUT];
  if (!embeds) throw new AaclipError(`the text model returned no "${TEXT_OUTPUT}"`, 'text model', { code: 'internal' });
  return computeTextAnchors(embeds.data as Float32Array, input.embedDim, normalCount, abnormalCount);
}
