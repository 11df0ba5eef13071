// Reads the golden fixture's files as bytes for the conformance suite (Node test side).
import { readFileSync } from 'node:fs';
import { CONFORMANCE_FIXTURE_FILES, type ConformanceFixtureFiles } from '@aaclip/core/testing';
import { fixtureFile } from '../../../../test-support/fixture.js';

let cached: ConformanceFixtureFiles | undefined;

export function loadConformanceFiles(): ConformanceFixtureFiles {
  cached ??= Object.fromEntries(
    Object.entries(CONFORMANCE_FIXTURE_FILES).map(([key, name]) => [key, new Uint8Array(readFileSync(fixtureFile(name)))]),
  ) as unknown as ConformanceFixtureFiles;
  return cached;
}
