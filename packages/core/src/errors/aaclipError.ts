/**
 * The one error type the packages throw for bad input. `source` names the file (or flag, or
 * field) at fault, so the message a user sees is always "<source>: <problem>" on one line.
 */
export class AaclipError extends Error {
  override readonly name = 'AaclipError';
  constructor(
    readonly problem: string,
    readonly source?: string,
  ) {
    super(source ? `${source}: ${problem}` : problem);
  }
}

/** Re-throws any error as an AaclipError naming `source`, keeping an existing AaclipError's source. */
export function withSource<T>(source: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw asAaclipError(err, source);
  }
}

export function asAaclipError(err: unknown, source: string): AaclipError {
  if (err instanceof AaclipError) return err.source ? err : new AaclipError(err.problem, source);
  const problem = err instanceof Error ? err.message : String(err);
  return new AaclipError(problem.split('\n')[0] ?? problem, source);
}
