import { AaclipError } from '@aaclip/core';

/** parseArgs specs for the flags every dataset-reading command takes (datasets, eval). */
export const DATASET_OPTION_SPECS = {
  option: { type: 'string', multiple: true },
  plugin: { type: 'string', multiple: true },
} as const;

export const DATASET_OPTIONS_HELP = `  --option key=value        a dataset option (repeatable); the value is read as JSON when it
                            parses (numbers, true/false, null, ["a","b"]), else as text. E.g. for
                            jsonl: --option manifest=meta.jsonl; for mvtec: --option 'classes=["bottle"]'
  --plugin <module>         import a module that registers dataset kinds (repeatable; a path or a
                            package name), before the kind is looked up`;

/** `--option key=value` flags as an options object; values are JSON when they parse. */
export function datasetOptions(pairs: readonly string[] | undefined): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new AaclipError(`expected key=value, got "${pair}"`, '--option');
    const key = pair.slice(0, eq);
    const text = pair.slice(eq + 1);
    if (key in options) throw new AaclipError(`"${key}" given twice`, '--option');
    try {
      options[key] = JSON.parse(text);
    } catch {
      options[key] = text;
    }
  }
  return options;
}
