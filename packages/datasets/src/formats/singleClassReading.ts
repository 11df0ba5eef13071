import { datasetProblem, type DatasetProblem } from '../check/datasetProblem.js';
import { lookUpPromptName, type DatasetFacts } from '../facts/datasetFacts.js';
import type { DatasetReading } from '../registry/datasetFactory.js';
import type { DatasetSample } from '../sample/datasetSample.js';

/**
 * The reading of a one-class medical set (BMAD, polyps): the class and domain from the reference's
 * facts, and an empty-class problem when the tree was there but held no image.
 */
export function singleClassReading(
  root: string,
  facts: DatasetFacts,
  samples: DatasetSample[],
  problems: DatasetProblem[],
  promptNames: Readonly<Record<string, string>> | undefined,
): DatasetReading {
  const className = facts.classes[0]!;
  if (samples.length === 0 && !problems.some((p) => p.kind === 'missing-folder')) {
    problems.push(datasetProblem('empty-class', root, `class "${className}" has no images`));
  }
  return {
    domain: facts.domain,
    classes: [className],
    samples,
    problems,
    promptName: (name) => lookUpPromptName(name, facts, promptNames),
  };
}
