import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_DATASET_FACTS, scanDataset } from '../src/index.js';
import { sharedDir } from '../../../test-support/fixture.js';

/** The appendix of DESIGN.md: "- **Name** (domain): class → "prompt"; class → "prompt"". */
async function designTables(): Promise<Map<string, { domain: string; entries: [string, string][] }>> {
  const text = await readFile(path.join(sharedDir, 'DESIGN.md'), 'utf8');
  const appendix = text.slice(text.indexOf('## Appendix: prompt names'));
  const tables = new Map<string, { domain: string; entries: [string, string][] }>();
  for (const m of appendix.matchAll(/^- \*\*(\S+)\*\* \((\w+)\): (.*)$/gm)) {
    const entries = [...m[3]!.matchAll(/([^\s;]+) → "([^"]*)"/g)].map((e) => [e[1]!, e[2]!] as [string, string]);
    tables.set(m[1]!, { domain: m[2]!, entries });
  }
  return tables;
}

describe("the reference's dataset facts", () => {
  it('match the design appendix: every dataset, class (in order), prompt name and domain', async () => {
    const tables = await designTables();
    expect([...tables.keys()].sort()).toEqual(ALL_DATASET_FACTS.map((f) => f.name).sort());
    for (const facts of ALL_DATASET_FACTS) {
      const table = tables.get(facts.name)!;
      expect(facts.domain, facts.name).toBe(table.domain);
      expect(facts.classes, facts.name).toEqual(table.entries.map(([c]) => c));
      expect(Object.entries(facts.promptNames), facts.name).toEqual(table.entries);
    }
  });

  it('reach the medical loaders: a set opened by its reference name has its class, domain and prompt', async () => {
    for (const name of ['Brain', 'Liver', 'Retina', 'Colon_clinicDB', 'Colon_colonDB', 'Colon_Kvasir', 'Colon_cvc300']) {
      const facts = ALL_DATASET_FACTS.find((f) => f.name === name)!;
      const { dataset, problems } = await scanDataset(name, '/nonexistent');
      expect(problems.map((p) => p.kind)).toEqual(['missing-folder']);
      expect(dataset.domain).toBe('medical');
      expect(dataset.classes).toEqual(facts.classes);
      expect(dataset.promptName(facts.classes[0]!)).toBe(facts.promptNames[facts.classes[0]!]);
    }
  });
});
