import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtureFile } from '../../../../test-support/fixture.js';
import { DEFAULT_PROMPT_SET, expandPrompts, parsePromptSet } from '../../src/config/promptSet.js';

const run = JSON.parse(readFileSync(fixtureFile('config.json'), 'utf8')) as { real_name: string; prompts: string[] };

describe('expandPrompts', () => {
  it("produces exactly the fixture's 16 prompts in the reference's order", () => {
    const { prompts, normalCount, abnormalCount } = expandPrompts(DEFAULT_PROMPT_SET, run.real_name);
    expect(prompts).toEqual(run.prompts);
    expect(normalCount).toBe(6);
    expect(abnormalCount).toBe(10);
  });

  it('inserts class names literally', () => {
    const { prompts } = expandPrompts(DEFAULT_PROMPT_SET, "pill with 'FF' $& $1");
    expect(prompts[1]).toBe("a photo of pill with 'FF' $& $1.");
  });
});

describe('parsePromptSet', () => {
  it('accepts a custom set and refuses states without exactly one "{}"', () => {
    const set = parsePromptSet({ normalStates: ['good {}'], abnormalStates: ['bad {}'], templates: ['{}'] }, 'prompts.json');
    expect(expandPrompts(set, 'nut')).toEqual({ prompts: ['good nut', 'bad nut'], normalCount: 1, abnormalCount: 1 });
    expect(() => parsePromptSet({ ...set, abnormalStates: ['bad'] }, 'prompts.json')).toThrow(
      /^prompts\.json: abnormalStates\.0: must contain "\{\}" exactly once$/,
    );
    expect(() => parsePromptSet({ ...set, templates: [] }, 'prompts.json')).toThrow(/^prompts\.json: templates: /);
  });
});
