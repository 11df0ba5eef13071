import type { DatasetDomain } from '../sample/datasetSample.js';

/** What the reference knows about a dataset: its classes, their prompt names and its domain. */
export interface DatasetFacts {
  /** The reference's name for the dataset ("MVTec", "Colon_Kvasir", …). */
  readonly name: string;
  readonly domain: DatasetDomain;
  /** Classes in the reference's order. */
  readonly classes: readonly string[];
  /** Class → the text inserted into the prompt templates. */
  readonly promptNames: Readonly<Record<string, string>>;
}

/** The prompt name for a class not in any table: its folder name with "_" read as spaces. */
export function fallbackPromptName(className: string): string {
  return className.replace(/_/g, ' ').trim() || className;
}

/**
 * The prompt name for `className`: a user's override first, then the reference's table, then
 * the readable fallback.
 */
export function lookUpPromptName(
  className: string,
  facts: DatasetFacts | undefined,
  overrides: Readonly<Record<string, string>> | undefined,
): string {
  return overrides?.[className] ?? facts?.promptNames[className] ?? fallbackPromptName(className);
}
