// Prompt states and templates that make the text anchors. "{}" marks where the class's prompt name
// (in a state) or the filled state (in a template) goes.
import { z } from 'zod';
import { parseWithSchema } from './zodIssue.js';

const withOnePlaceholder = z
  .string()
  .refine((s) => s.split('{}').length === 2, { message: 'must contain "{}" exactly once' });

/**
 * The prompts a class's text anchors are made from. Each prompt is a template with a state put into
 * its "{}", and the state has the class's prompt name (e.g. "bottle") put into its "{}":
 * template "a photo of {}." × state "a damaged {}" → "a photo of a damaged bottle.". The normal
 * anchor averages the embeddings of every normal state × template, the anomalous one every
 * abnormal state × template (state-major, the reference's order).
 *
 * Rules, checked when a detector is made (errors name `promptSet.<field>`): every state and
 * template holds "{}" exactly once; each list has at least one entry; no state is both normal and
 * abnormal (the two anchors would share prompts and stop telling the states apart).
 */
export const PromptSet = z
  .object({
    /** States of a normal object, e.g. "a {}", "the {}"; each holds "{}" once. */
    normalStates: z.array(withOnePlaceholder).min(1),
    /** States of an anomalous object, e.g. "a damaged {}"; each holds "{}" once. */
    abnormalStates: z.array(withOnePlaceholder).min(1),
    /** Sentences a state is put into, e.g. "a photo of {}."; each holds "{}" once. */
    templates: z.array(withOnePlaceholder).min(1),
  })
  .superRefine((set, ctx) => {
    const index = set.abnormalStates.findIndex((state) => set.normalStates.includes(state));
    if (index >= 0) {
      ctx.addIssue({ code: 'custom', path: ['abnormalStates', index], message: `"${set.abnormalStates[index]}" is also a normal state (normal and abnormal prompts must differ)` });
    }
  });
export type PromptSet = z.infer<typeof PromptSet>;

/** AA-CLIP's prompts (the reference's states and templates). */
export const DEFAULT_PROMPT_SET: PromptSet = {
  normalStates: ['{}', 'a {}', 'the {}'],
  abnormalStates: ['a damaged {}', 'a broken {}', 'a {} with flaw', 'a {} with defect', 'a {} with damage'],
  templates: ['{}.', 'a photo of {}.'],
};

/** Checks a prompt set (see PromptSet's rules); errors name `source` and the field. */
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
