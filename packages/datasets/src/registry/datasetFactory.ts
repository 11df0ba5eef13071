import type { z } from 'zod';
import type { DatasetProblem } from '../check/datasetProblem.js';
import type { DatasetDomain, DatasetSample } from '../sample/datasetSample.js';

/** What a format reads from a root: the samples and every problem found on the way. */
export interface DatasetReading {
  readonly domain: DatasetDomain;
  /** Class names in the dataset's own order. */
  readonly classes: readonly string[];
  readonly samples: readonly DatasetSample[];
  /** Structural problems (missing masks, unparsable lines, …); empty when the tree is sound. */
  readonly problems: readonly DatasetProblem[];
  /** The text put into the prompts for a class (the reference's table, or a readable fallback). */
  promptName(className: string): string;
}

/**
 * A dataset format: how to read one layout from disk. `optionsSchema` validates the options a
 * user passes (on the command line or in code) before `read` sees them.
 */
export interface DatasetFactory<Schema extends z.ZodType = z.ZodType> {
  /** One line for `aaclip datasets list`. */
  readonly summary: string;
  readonly optionsSchema: Schema;
  read(root: string, options: z.output<Schema>): Promise<DatasetReading>;
}

/** A dataset read without problems. */
export interface Dataset {
  /** The registry name it was opened with. */
  readonly kind: string;
  readonly root: string;
  readonly domain: DatasetDomain;
  readonly classes: readonly string[];
  readonly samples: readonly DatasetSample[];
  promptName(className: string): string;
}
