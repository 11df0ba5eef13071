import type { z } from 'zod';
import { AaclipError } from '../errors/aaclipError.js';

/**
 * Turns a zod error into one AaclipError line: "<source>: <field.path>: <problem>", naming the first
 * problem (and how many more there are). `pathPrefix` is prepended to the field path, e.g. "model_cfg".
 */
export function zodErrorToAaclip(error: z.ZodError, source: string, pathPrefix: readonly string[] = []): AaclipError {
  const [first] = error.issues;
  if (!first) return new AaclipError('invalid value', source);
  const path = [...pathPrefix, ...first.path.map(String)].join('.');
  const problem = first.message.replace(/^Invalid input: /, '').replace(/\s*\n\s*/g, ' ');
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem${error.issues.length > 2 ? 's' : ''})` : '';
  return new AaclipError(`${path ? `${path}: ` : ''}${problem}${more}`, source);
}

/** Parses `value` with `schema`, throwing a one-line AaclipError naming the field on failure. */
export function parseWithSchema<S extends z.ZodType>(
  schema: S,
  value: unknown,
  source: string,
  pathPrefix: readonly string[] = [],
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw zodErrorToAaclip(result.error, source, pathPrefix);
  return result.data;
}
