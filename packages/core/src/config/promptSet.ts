// Prompt states and templates that make the text anchors. "{}" marks where the class's prompt name
// (in a state) or the filled state (in a template) goes.
import { z } from 'zod';
import { parseWithSchema } from './zodIssue.js';

const withOnePlaceholder = z
  .string()
  .refine((s) => s.split('{}').length === 2, { message: 'must contain "{}" exactly once' });

export const PromptSet = z.object({
  normalStates: z.array(withOnePlaceholder).min(1),
  abnormalStates: z.array(withOnePlaceholder).min(1),
  templates: z.array(withOnePlaceholder).min(1),
});
export type PromptSet = z.infer<typeof PromptSet>;

/** AA-CLIP's prompts (the reference's states and templates). */
export const DEFAULT_PROMPT_SET: PromptSet = {
  normalStates: ['{}', 'a {}', 'the {}'],
  abnormalStates: ['a damaged {}', 'a broken {}', 'a {} with flaw', 'a {} with defect', 'a {} with damage'],
  templates: ['{}.', 'a photo of {}.'],
};

export function parsePromptSet(json: unknown, source: string): PromptSet {
  return parseWithSchema(PromptSet, json, source);
}

export interface ExpandedPrompts {
  /** The normal prompts first, then the abnormal ones. */
  prompts: string[];
  normalCount: number;
  abnormalCount: number;
}

// A split/join fill, so "$&"-like text in a class name is kept literally.
const fill = (pattern: string, value: string): string => pattern.split('{}').join(value);

/** Every state × template with the class name filled in, in the reference's order (state-major). */
export function expandPrompts(set: PromptSet, className: string): ExpandedPrompts {
  const expand = (states: readonly string[]): string[] =>
    states.flatMap((state) => set.templates.map((template) => fill(template, fill(state, className))));
  const normal = expand(set.normalStates);
  const abnormal = expand(set.abnormalStates);
  return { prompts: [...normal, ...abnormal], normalCount: normal.length, abnormalCount: abnormal.length };
}
